"""Drawing invented residents, homes, numbers and ordinary households from one seeded random.Random."""

from __future__ import annotations

import calendar
import random
from datetime import date, timedelta

from notices.letters.appid import damm_digit

from .model import Person
from .oracle import PERMANENT, birthday, card_expiry, nth_birthday_after, outcome, window
from .people import AREAS, BUILDINGS, FOREIGN, GIVEN, STAYS, SURNAMES, VARIANT_SURNAMES


def ymd(year: int, month: int, day: int) -> date:
    """The date, its day clamped to the month's last."""
    return date(year, month, min(day, calendar.monthrange(year, month)[1]))


class Town:
    """Draws invented people, homes and numbers from one seeded random.Random."""

    def __init__(self, rng: random.Random, as_of: date) -> None:
        self.rng, self.as_of = rng, as_of
        self.used: set[str] = set()
        self.next_hh = 10_000_000 + rng.randrange(1_000_000)

    def unique(self, digits: int, prefix: str = "") -> str:
        """A random number of that many digits (no leading zero after the prefix), never drawn before."""
        while True:
            text = prefix + str(self.rng.randint(1, 9)) + "".join(
                str(self.rng.randrange(10)) for _ in range(digits - len(prefix) - 1))
            if text not in self.used:
                self.used.add(text)
                return text

    def my_number(self) -> str:
        """12 digits ending in the 個人番号 check digit (weights 2..7, 2..6 from the right)."""
        body = self.unique(11)
        total = sum(int(d) * (n + 1 if n <= 6 else n - 5) for n, d in enumerate(reversed(body), 1))
        return body + str(0 if total % 11 <= 1 else 11 - total % 11)

    def application_id(self) -> str:
        """23 digits: the town's local government code, random digits, a Damm check digit."""
        digits = self.unique(22, prefix="999997")
        return digits + str(damm_digit(digits))

    def household(self) -> str:
        """A fresh 8-digit household number, above the last one."""
        self.next_hh += self.rng.randint(1, 7)
        return f"{self.next_hh:08d}"

    def home(self) -> tuple[str, str, str]:
        """(postal code, address, address extra) of a home in the town."""
        rng = self.rng
        postal, area, aza = rng.choice(AREAS)
        if aza:
            lot = f"{rng.randint(1, 1200)}番地" + (str(rng.randint(1, 9)) if rng.random() < 0.4 else "")
        else:
            lot = f"{rng.randint(1, 40)}番{rng.randint(1, 25)}号"
        extra = ""
        if not aza and rng.random() < 0.15:
            extra = rng.choice(BUILDINGS).format(f=rng.randint(1, 5), r=rng.randint(1, 8))
        return postal, f"架空県{area}{lot}", extra

    def born(self, age: int) -> date:
        """A birth date giving about that age on the run date, always before it."""
        born = date(self.as_of.year - age, 1, 1) + timedelta(days=self.rng.randint(0, 364))
        return min(born, self.as_of - timedelta(days=self.rng.randint(1, 30)))

    def person(self, age: int, *, home: tuple[str, str, str] | None = None, hh: str = "",
               surname: tuple[str, str] | None = None, nationality: str = "",
               born: date | None = None) -> Person:
        """A resident without a card: Japanese, or of that nationality with a residence status."""
        rng = self.rng
        if nationality:
            language, names = FOREIGN[nationality]
            name, kana, sex = rng.choice(names)
        else:
            sex = rng.choice("12")
            surname = surname or rng.choice(VARIANT_SURNAMES if rng.random() < 0.03 else SURNAMES)
            given = rng.choice(GIVEN[sex])
            name, kana = f"{surname[0]}　{given[0]}", f"{surname[1]}　{given[1]}"
        postal, address, extra = home or self.home()
        p = Person(self.unique(11), hh or self.household(), name, kana, born or self.born(age), sex,
                   postal, address, extra, self.my_number())
        if nationality:
            p.nationality, p.language = nationality, (language if rng.random() < 0.85 else "")
            p.res_status = rng.choice(("特別永住者" if nationality == "KR" else "永住者", "永住者") + STAYS)
            if p.res_status not in PERMANENT:
                p.res_exp = self.as_of + timedelta(days=rng.randint(30, 1800))
        return p

    def give_card(self, p: Person) -> None:
        """An ordinary card history: issued since 2016, renewed before it lapsed; certificates."""
        rng, as_of = self.rng, self.as_of
        first = max(p.born + timedelta(days=30), date(2016, 1, 1), as_of - timedelta(days=3400))
        if first >= as_of:
            return
        p.card_issued = first + timedelta(days=rng.randint(0, (as_of - first).days - 1))
        while (card := self._card(p)) < as_of:
            p.card_issued = card - timedelta(days=rng.randint(0, 80))
        if rng.random() < 0.9:
            p.cert_issued = p.card_issued
            while (cert := min(nth_birthday_after(p.born, p.cert_issued, 5), card)) < as_of:
                if rng.random() < 0.3:
                    break  # left to lapse
                p.cert_issued = min(cert + timedelta(days=rng.randint(1, 150)), as_of - timedelta(days=1))
        self.record(p)

    def record(self, p: Person) -> None:
        """What the export records beside the issue date: for most foreign residents the stay the card was
        issued under (here today's), and for about half the residents the card's expiry, as 住基 exports do."""
        if p.nationality and p.res_status not in PERMANENT and p.res_exp and self.rng.random() < 0.9:
            p.card_stay = p.res_exp
        if self.rng.random() < 0.5:
            p.card_exp = self._card(p)

    def _card(self, p: Person) -> date:
        return card_expiry(p.born, p.card_issued, p.nationality, p.res_status, p.card_stay or p.res_exp,
                           p.card_applied)[0]  # fmt: skip

    def not_due(self, age: int, **kw) -> Person:
        """A resident with an ordinary card who is not due."""
        while True:
            p = self.person(age, **kw)
            self.give_card(p)
            if p.card_issued and outcome(p, self.as_of) == "not_mailed:not_due":
                return p

    def due(self, kind: str, *, target: date | None = None, expect: str = "", nationality: str = "",
            minor: bool = False, surname: tuple[str, str] | None = None, leap: bool = False) -> Person:
        """A resident whose card (or certificate, or stay) ends on target, by default in the
        window, drawn until the outcome is `expect` (default mail:kind; "*" takes any)."""
        rng, as_of = self.rng, self.as_of
        lo, hi = window(as_of)
        expect = expect or f"mail:{kind}"
        for _ in range(1000):
            end = target or lo + timedelta(days=rng.randint(0, (hi - lo).days))
            if kind == "residence_extension":
                p = self.person(rng.randint(19, 45), nationality=nationality or rng.choice(list(FOREIGN)))
                p.res_status, p.res_exp = rng.choice(STAYS), end
                p.card_issued = p.cert_issued = as_of - timedelta(days=rng.randint(60, 1500))
                p.card_stay = end  # issued under this stay (its end recorded), not extended since
            else:
                age = rng.randint(6, 21) if minor else rng.randint(31, 88)
                if leap:
                    age += (end.year - age) % 4  # born on 29 Feb of a leap year
                born = date(end.year - age, 2, 29) if leap else ymd(end.year - age, end.month, end.day)
                p = self.person(age, nationality=nationality, born=born, surname=surname)
                if nationality and rng.random() < 0.5:
                    p.res_status, p.res_exp = "永住者", None
                p.card_stay = p.res_exp if p.res_status not in PERMANENT else None  # the stay at issue, recorded
                years = 5 if minor or kind == "cert_renewal" else 10
                issued = birthday(born, end.year - years + 1) - timedelta(days=rng.randint(1, 330))
                if kind == "card_renewal":
                    p.card_issued = issued
                    if rng.random() < 0.8:
                        cert = issued + timedelta(days=rng.randint(0, 1900))
                        p.cert_issued = min(cert, as_of - timedelta(days=1))
                else:
                    p.cert_issued = issued
                    p.card_issued = issued - timedelta(days=rng.choice((0, 0, rng.randint(30, 1200))))
            if expect == "*" or outcome(p, as_of) == expect:
                p.intent = "" if expect == "*" else expect
                return p
        raise AssertionError(f"could not draw a resident for {kind} -> {expect}")


def ordinary_household(town: Town, room: int) -> list[Person]:
    """1-5 people sharing a household number, an address and (for Japanese) a surname."""
    rng = town.rng
    size = min(room, rng.choices((1, 2, 3, 4, 5), (35, 30, 16, 13, 6))[0])
    nationality = rng.choice(list(FOREIGN)) if rng.random() < 0.04 else ""
    hh, home = town.household(), town.home()
    surname = rng.choice(VARIANT_SURNAMES if rng.random() < 0.03 else SURNAMES)
    ages = [rng.randint(20, 95) if size == 1 else rng.randint(25, 85)]
    for i in range(1, size):
        couple = i == 1 and rng.random() < 0.75
        ages.append(max(18, ages[0] + rng.randint(-6, 6)) if couple else rng.randint(0, min(40, ages[0] - 20)))
    members = []
    for age in ages:
        p = town.person(age, home=home, hh=hh, surname=surname, nationality=nationality)
        if rng.random() < (0.35 if age < 2 else 0.78):
            town.give_card(p)
            if rng.random() < 0.004:
                p.card_state = "suspended"
        r = rng.random()
        p.status = ("moved_out" if r < 0.012 else "deceased" if r < 0.02 else "removed" if r < 0.023
                    else "abroad" if r < 0.026 else "resident")
        members.append(p)
    return members
