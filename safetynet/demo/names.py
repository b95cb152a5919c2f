"""Chinese names for the demo county, drawn fast and reproducibly.

Faker's zh_CN person provider is read once for its surname frequencies and given-name
characters; after that every draw is a call on the caller's seeded `random.Random`. Calling
Faker per person would take minutes for a million people and would not follow our seed.

Given names follow the fashion of the birth year (秀英 and 建国 for the elderly, 子涵 and 浩然
for children), because a registry where grandmothers are called 欣怡 does not look real.
"""
from __future__ import annotations

import bisect
import itertools
import random
from dataclasses import dataclass

CHINESE_DIGITS = "零一二三四五六七八九十"

# Popular given names by generation: a local touch over Faker's one list for all ages.
_OLD_MALE = ("建国", "国庆", "志强", "德福", "保国", "振华", "长生", "福贵", "玉山", "德胜", "树林", "洪亮",
             "金锁", "连生", "宝成", "文华", "国栋", "家祥", "有才", "庆丰", "学文", "立新", "广田", "春生")
_OLD_FEMALE = ("秀英", "桂兰", "玉兰", "凤英", "秀兰", "桂英", "淑珍", "玉珍", "桂芝", "秀珍", "素芬", "翠花",
               "玉梅", "兰英", "秀云", "凤兰", "淑兰", "桂荣", "秀芳", "春兰", "金凤", "玉芬", "彩霞", "淑英")
_YOUNG_MALE = ("子轩", "浩然", "梓轩", "宇轩", "浩宇", "一鸣", "俊熙", "子墨", "博文", "皓轩", "宇航", "奕辰",
               "天佑", "沐阳", "睿泽", "子豪", "思远", "嘉懿", "明轩", "铭泽", "晨阳", "锦程", "俊杰", "子睿")
_YOUNG_FEMALE = ("子涵", "欣怡", "梓涵", "一诺", "雨桐", "思涵", "可馨", "语嫣", "诗涵", "若汐", "梦琪", "佳怡",
                 "雨萱", "紫萱", "欣妍", "沐晨", "依诺", "梓萱", "语桐", "思琪", "雅婷", "静怡", "馨予", "心怡")


def _faker_pools() -> tuple[list[str], list[float], list[str], list[str]]:
    """Surnames with their weights and the male/female given names, read once from Faker."""
    from faker.providers.person.zh_CN import Provider

    surnames = list(Provider.last_names.keys())
    weights = [float(w) for w in Provider.last_names.values()]
    return surnames, weights, list(Provider.first_names_male), list(Provider.first_names_female)


def chinese_number(n: int) -> str:
    """1..99 written the way group names are written (三组, 十二组)."""
    if n <= 10:
        return CHINESE_DIGITS[n]
    tens, ones = divmod(n, 10)
    return ("" if tens == 1 else CHINESE_DIGITS[tens]) + "十" + (CHINESE_DIGITS[ones] if ones else "")


@dataclass
class NamePool:
    surnames: list[str]
    surname_cumulative: list[float]
    male_by_era: tuple[list[str], list[str], list[str]]
    female_by_era: tuple[list[str], list[str], list[str]]

    @classmethod
    def build(cls) -> "NamePool":
        surnames, weights, male, female = _faker_pools()
        # Faker's male list carries a few women's names (红霞): keep men's names to characters
        # no woman's name in the list uses.
        feminine = {c for name in female for c in name}
        male = [name for name in male if not (set(name) & feminine - {"华", "建", "平"})]
        male_chars = sorted({c for name in male for c in name} - feminine)
        female_chars = sorted(feminine)
        # Two-character names made of two characters the pool already uses (建伟, 秀丽): the
        # Faker list alone has under a hundred names, far too few for a county.
        male_pairs = [a + b for a, b in itertools.product(male_chars, repeat=2) if a != b]
        female_pairs = [a + b for a, b in itertools.product(female_chars, repeat=2) if a != b]
        male_mid = male + male_pairs
        female_mid = female + female_pairs
        return cls(
            surnames=surnames,
            surname_cumulative=list(itertools.accumulate(weights)),
            male_by_era=(list(_OLD_MALE) + male, male_mid, list(_YOUNG_MALE) + male + male_pairs[::7]),
            female_by_era=(list(_OLD_FEMALE) + female, female_mid, list(_YOUNG_FEMALE) + female + female_pairs[::7]),
        )

    def surname(self, rnd: random.Random) -> str:
        cumulative = self.surname_cumulative
        return self.surnames[bisect.bisect(cumulative, rnd.random() * cumulative[-1])]

    def given_name(self, rnd: random.Random, sex: str, birth_year: int) -> str:
        era = 0 if birth_year < 1960 else (1 if birth_year < 1990 else 2)
        pool = (self.male_by_era if sex == "male" else self.female_by_era)[era]
        return pool[int(rnd.random() * len(pool))]


_POOL: NamePool | None = None


def name_pool() -> NamePool:
    """The pools, built on first use (about 50 ms) and shared afterwards."""
    global _POOL
    if _POOL is None:
        _POOL = NamePool.build()
    return _POOL
