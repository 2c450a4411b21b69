"""The run report's Japanese wording: names of kinds and reasons, and what the operator does about each."""

from __future__ import annotations

NOT_MAILED_LABELS = {
    "moved_out": "転出",
    "deceased": "死亡",
    "removed": "職権消除など",
    "abroad": "国外転出",
    "no_card": "カードなし",
    "card_inactive": "カードが一時停止・廃止・返納",
    "not_due": "今回の対象期間外",
}

# reason: (label, what the operator does). The order is the order of the report.
REVIEW_GUIDE = {
    "support_measure": (
        "DV等支援措置",
        "本人または同じ世帯の人がDV等支援措置の対象です。通知書の送付先から加害者に住所が知られるおそれがあります。"
        "支援措置の担当課と協議し、送付してよいか、送付先をどこにするか（窓口での手渡しなど）を判断してください。"
        "判断がつくまで送付しないでください。",
    ),
    "expiry_unknown": (
        "有効期限が確定できない",
        "有効期限が住民記録になく、計算に必要な項目（詳細欄に英語で示す、申請日・カード発行時の在留期間満了日・"
        "電子証明書の更新の有無のいずれか）もないため、有効期限が複数考えられ、そのうちの一つが今回の対象期間にあります。"
        "推測で通知書を送ることはしません。住基ネット（統合端末）やカードの券面で有効期限を確認し、住民記録の出力に"
        "カード・電子証明書の有効期限（またはその項目）を加えてください。加えた後の夜間処理で、対象であれば送付されます。",
    ),
    "address": (
        "住所・郵便番号",
        "住所が空欄か、郵便番号が7桁の数字でないか、日本郵便の郵便番号データにないか、住所の都道府県・市区町村・町域の"
        "郵便番号ではありません（詳細欄の expected が、住所に当たるデータ上の郵便番号です）。"
        "住民記録で住所・郵便番号を確認し、住民記録を修正してください。"
        "修正した後の夜間処理で、有効期限が対象期間内であれば改めて送付されます。",
    ),
    "glyph": (
        "外字",
        "氏名・フリガナ・住所に、通知書のフォントにない文字（外字）があります。詳細欄の文字コード（U+…）を外字一覧で確認し、"
        "対応する文字（異体字セレクタ付きも可）を決めて外字対応表（設定の gaiji_map）に登録するか、"
        "住民記録の代替文字に置き換えるか、この人の通知書を個別に作成して手書きで補ってください。",
    ),
    "layout": (
        "氏名・住所の長さ",
        "氏名・フリガナ・住所・方書が長く、通常の大きさでは枠に収まりません。住民記録の表記（方書の重複、不要な空白など）を"
        "確認して直すか、判断で mail とすると、枠に収まる小さい文字（最小6ポイント）で印字して送付します（120文字まで。"
        "詳細欄に「a decision can only withhold」とあるものは小さくしても収まらないため、withhold か個別の作成のみ）。"
        "小さく印字した通知書は、送付の夜に proofs/layout-….png で確認してください。",
    ),
    "application_id": (
        "申請書ID",
        "住民記録の申請書IDが23桁の数字でないか、他の人のIDと重複しています。J-LIS から届いた申請書IDを確認して正しく直すか、"
        "空欄にしてください（空欄なら新しい申請書IDを発番して送付します）。",
    ),
    "returned": (
        "返戻",
        "この住所に送った通知が宛所不明などで返送されており、住所はその時のままです。転居の有無を住民記録・届出・"
        "実態調査で確認し、住所が正しければ送付を、転居していれば住民記録の修正（職権での異動を含む）を検討してください。",
    ),
}

# reason: (label, what to fix in the register export).
REJECT_GUIDE = {
    "malformed_row": ("行の形式", "列の数が見出しと合いません。住所などに区切りの「,」や改行が混じっていないか、出力の設定を確認してください。"),
    "bad_resident_id": ("住民番号の形", "住民番号（宛名番号）が決められた形（英数字）ではありません。個人番号（12桁）や数式が入っていないか、出力の列の並びを確認してください。"),
    "bad_household_id": ("世帯番号の形", "世帯番号が英数字の番号ではありません。出力の列の並びと設定を確認してください。"),
    "missing_resident_id": ("住民番号なし", "住民番号（宛名番号）が空欄です。出力元のデータを確認してください。"),
    "duplicate_resident_id": ("住民番号の重複", "同じ住民番号が複数の行にあります。どの行も使っていません。重複を解消して出力し直してください。"),
    "missing_value": ("必須項目なし", "氏名や生年月日など、必須の項目が空欄です。住民記録を確認してください。"),
    "bad_date": ("日付の誤り", "日付として読めない値、またはありえない日付（2月30日など）です。住民記録の日付を確認してください。"),
    "unknown_status": ("住民状態の値", "住民状態が決められた値（resident, moved_out など）ではありません。出力の変換表を確認してください。"),
    "unknown_card_state": ("カード状態の値", "カードの状態が決められた値ではありません。出力の変換表を確認してください。"),
}

LAPSED_LABELS = {"card": "カード", "cert": "電子証明書"}


def review_label(reason: str) -> str:
    """The Japanese name of a reason to hold a resident for review."""
    return REVIEW_GUIDE[reason][0] if reason in REVIEW_GUIDE else reason


def review_action(reason: str) -> str:
    """What the operator does about a resident held for REASON."""
    return REVIEW_GUIDE[reason][1] if reason in REVIEW_GUIDE else "詳細を確認し、送付してよいかを判断してください。"


def reject_label(reason: str) -> str:
    """The Japanese name of a reason a register row was rejected."""
    return REJECT_GUIDE[reason][0] if reason in REJECT_GUIDE else reason


def reject_fix(reason: str) -> str:
    """What to fix in the register export for a row rejected for REASON."""
    return REJECT_GUIDE[reason][1] if reason in REJECT_GUIDE else "詳細を確認し、名簿の出力を直してください。"
