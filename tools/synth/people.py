"""The invented names and places of 架空県若葉町 that residents are drawn from."""

from __future__ import annotations


def _pairs(text: str) -> list[tuple[str, str]]:
    return [tuple(item.split(":")) for item in text.split()]  # type: ignore[misc]


SURNAMES = _pairs(
    "佐藤:サトウ 鈴木:スズキ 高橋:タカハシ 田中:タナカ 伊藤:イトウ 渡辺:ワタナベ 山本:ヤマモト "
    "中村:ナカムラ 小林:コバヤシ 加藤:カトウ 吉田:ヨシダ 山田:ヤマダ 佐々木:ササキ 山口:ヤマグチ "
    "松本:マツモト 井上:イノウエ 木村:キムラ 林:ハヤシ 斎藤:サイトウ 清水:シミズ 山崎:ヤマザキ "
    "森:モリ 池田:イケダ 橋本:ハシモト 阿部:アベ 石川:イシカワ 前田:マエダ 藤田:フジタ 小川:オガワ "
    "岡田:オカダ 後藤:ゴトウ 長谷川:ハセガワ 村上:ムラカミ 近藤:コンドウ 坂本:サカモト 青木:アオキ")
VARIANT_SURNAMES = _pairs("髙橋:タカハシ 﨑山:サキヤマ 山﨑:ヤマザキ 齋藤:サイトウ 渡邊:ワタナベ")
GIVEN = {
    "1": _pairs("太郎:タロウ 一郎:イチロウ 健:ケン 翔太:ショウタ 大輔:ダイスケ 拓也:タクヤ 誠:マコト "
                "浩:ヒロシ 悠斗:ユウト 蓮:レン 陽翔:ハルト 湊:ミナト 和夫:カズオ 茂:シゲル 隆:タカシ 翼:ツバサ"),
    "2": _pairs("花子:ハナコ 陽子:ヨウコ 恵子:ケイコ 美咲:ミサキ 葵:アオイ 結衣:ユイ さくら:サクラ "
                "由美:ユミ 明美:アケミ 真由美:マユミ 陽菜:ヒナ 凛:リン 幸子:サチコ 久美子:クミコ 彩:アヤ"),
}
# nationality: (language, [(name, reading, sex)])
FOREIGN = {
    "US": ("en", [("SMITH JOHN", "スミス　ジョン", "1"), ("JOHNSON EMILY", "ジョンソン　エミリー", "2")]),
    "CN": ("zh", [("王　偉", "ワン　ウェイ", "1"), ("李　娜", "リー　ナー", "2"), ("張　磊", "チャン　レイ", "1")]),
    "KR": ("ko", [("金　民俊", "キム　ミンジュン", "1"), ("朴　智恩", "パク　ジウン", "2")]),
    "VN": ("vi", [("NGUYEN VAN AN", "グエン　ヴァン　アン", "1"), ("TRAN THI HOA", "チャン　ティ　ホア", "2")]),
    "BR": ("pt", [("SILVA LUCAS", "シルバ　ルーカス", "1"), ("OLIVEIRA ANA", "オリヴェイラ　アナ", "2")]),
    "PE": ("es", [("GARCIA CARLOS", "ガルシア　カルロス", "1"), ("FLORES ROSA", "フローレス　ロサ", "2")]),
    "PH": ("tl", [("SANTOS MARIA", "サントス　マリア", "2"), ("REYES JOSE", "レイエス　ホセ", "1")]),
    "NP": ("ne", [("GURUNG RAM", "グルン　ラム", "1"), ("THAPA SITA", "タパ　シータ", "2")]),
}
STAYS = ("留学", "技術・人文知識・国際業務", "技能実習", "特定技能1号", "家族滞在", "定住者")
KANJI_NUMERALS = "〇一二三四五"


def _areas() -> list[tuple[str, str, bool]]:
    """(postal code, town area, 番地-style addresses): 999-0001.. by 丁目, then the 字."""
    areas = []
    for n, name in enumerate("中央 東 西 南 北 本町 栄町 緑町 旭町 桜ケ丘 若葉台 新町 駅前 川端 港町 青葉".split()):
        for chome in range(1, 3 + n % 3):
            areas.append((str(9990001 + len(areas)), f"若葉町{name}{KANJI_NUMERALS[chome]}丁目", False))
    # 999-1100 is a representative code (no customer barcode).
    areas += [(f"99911{i:02d}", f"若葉町字{aza}", True) for i, aza in enumerate("大平 北原 南沢 上野 中島 西田".split())]
    return areas


AREAS = _areas()
BUILDINGS = ("コーポ若葉{f}0{r}号室", "若葉ハイツ{f}0{r}", "メゾン中央 {f}0{r}号", "グリーンヒル若葉B棟{f}0{r}号室")
