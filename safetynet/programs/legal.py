"""The regulations SafetyNet's rules come from, cited by their own names (issue 15, item 10).

The code cites its sources by short internal codes (MLG-2021 art. 23, POLICY.md §1: see
POLICY.md's list of sources); a citizen's letter, a notice, a report or a page shows the
regulation's own name and article instead: 《最低生活保障审核确认办法》第二十三条 in Chinese, the English
title in English. This table is the one place a code becomes a name; `basis` turns any internal
reference (a breakdown line's section, a parameter's source) into the citation people read.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from django.utils.translation import get_language


@dataclass(frozen=True)
class Regulation:
    zh: str          # the title as published, without the book-title marks
    en: str
    number: str = ""  # the issuing document's number (民发〔2021〕57号)


# POLICY.md "Sources", code by code.
REGULATIONS: dict[str, Regulation] = {
    "SA-2014": Regulation("社会救助暂行办法", "Interim Measures for Social Assistance", "国务院令第649号"),
    "MLG-2021": Regulation("最低生活保障审核确认办法",
                           "Measures for the Review and Confirmation of Minimum Living Guarantees", "民发〔2021〕57号"),
    "MLG-2012": Regulation("最低生活保障审核审批办法（试行）",
                           "Measures for the Review and Approval of Minimum Living Guarantees (Trial)", "民发〔2012〕220号"),
    "SH-2021": Regulation("特困人员认定办法", "Measures for Identifying Persons in Special Hardship", "民发〔2021〕43号"),
    "REFORM-2020": Regulation("关于改革完善社会救助制度的意见",
                              "Opinions on Reforming and Improving the Social Assistance System", "中办发〔2020〕18号"),
    "TA-2018": Regulation("关于进一步加强和改进临时救助工作的意见",
                          "Opinions on Further Strengthening and Improving Temporary Assistance", "民发〔2018〕23号"),
    "TA-2026": Regulation("2026年小额临时救助意见", "2026 Opinion on Small-Amount Quick Temporary Assistance"),
    "MA-2021": Regulation("关于健全重特大疾病医疗保险和救助制度的意见",
                          "Opinions on Improving the Medical Insurance and Assistance System for Major and Serious Diseases",
                          "国办发〔2021〕42号"),
    "BUY-2017": Regulation("关于积极推行政府购买服务加强基层社会救助经办服务能力的意见",
                           "Opinions on Actively Promoting Government Purchase of Services to Strengthen Grass-roots "
                           "Social Assistance Capacity", "民发〔2017〕153号"),
}
# What each POLICY.md section rests on, for references that name only the section.
POLICY_SECTIONS: dict[str, tuple[str, str]] = {
    "1": ("MLG-2021", ""), "2": ("SH-2021", ""), "3": ("TA-2018", ""), "4": ("SA-2014", ""),
    "5": ("MLG-2021", "17"), "6": ("REFORM-2020", ""), "7": ("MLG-2021", "24"), "8": ("", ""),
}
_CODE = "|".join(re.escape(code) for code in sorted(REGULATIONS, key=len, reverse=True))
_CITATION = re.compile(rf"\b({_CODE})\b(?:\s*art\.\s*(\d+)(?:\s*[–-]\s*(\d+))?)?")
_POLICY = re.compile(r"POLICY\.md\s*(?:§\s*(\d+))?")
_DIGITS = "〇一二三四五六七八九"


def chinese_number(n: int) -> str:
    """1 → 一, 10 → 十, 23 → 二十三, 105 → 一百零五: how articles are numbered in Chinese law."""
    if n < 10:
        return _DIGITS[n]
    if n < 20:
        return "十" + (_DIGITS[n % 10] if n % 10 else "")
    if n < 100:
        return _DIGITS[n // 10] + "十" + (_DIGITS[n % 10] if n % 10 else "")
    rest = n % 100
    tail = "" if rest == 0 else ("零" + chinese_number(rest) if rest < 10 else
                                 ("一" + chinese_number(rest) if rest < 20 else chinese_number(rest)))
    return _DIGITS[n // 100] + "百" + tail


def _chinese(language: str | None) -> bool:
    return (language or get_language() or "zh-hans").lower().startswith("zh")


def title(code: str, language: str | None = None) -> str:
    """The regulation's name: 《特困人员认定办法》, or its English title."""
    regulation = REGULATIONS[code]
    return f"《{regulation.zh}》" if _chinese(language) else regulation.en


def cite(code: str, first: int | str | None = None, last: int | str | None = None, language: str | None = None) -> str:
    """《最低生活保障审核确认办法》第二十三条 (第二十一条至第二十二条 for a range); in English
    "Measures for ..., art. 23"."""
    name = title(code, language)
    if not first:
        return name
    first, last = int(first), int(last) if last else None
    if _chinese(language):
        articles = f"第{chinese_number(first)}条" if not last else f"第{chinese_number(first)}条至第{chinese_number(last)}条"
        return name + articles
    return f"{name}, art. {first}" + (f"–{last}" if last else "")


def basis(reference: str | None, language: str | None = None) -> str:
    """An internal reference ("POLICY.md §1 · MLG-2021 art. 23; SH-2021 art. 8", "POLICY.md §2")
    as the citations people read, each regulation once; "" when it names none (a design note)."""
    if not reference:
        return ""
    citations: list[str] = []
    for match in _CITATION.finditer(reference):
        citations.append(cite(match.group(1), match.group(2), match.group(3), language))
    if not citations:
        for match in _POLICY.finditer(reference):
            code, article = POLICY_SECTIONS.get(match.group(1) or "", ("", ""))
            if code:
                citations.append(cite(code, article or None, language=language))
    seen: list[str] = []
    for citation in citations:
        if citation not in seen:
            seen.append(citation)
    return "；".join(seen) if _chinese(language) else "; ".join(seen)


def internal_codes_in(text: str) -> list[str]:
    """The internal references left in a text people read: POLICY.md, DESIGN.md, the codes of
    REGULATIONS (for the tests and the documents' own checks)."""
    found = re.findall(rf"POLICY\.md|DESIGN\.md|\b(?:{_CODE})\b", text or "")
    return found


def readable(text, language: str | None = None) -> str:
    """`text` with its internal references as citations: a reference ("POLICY.md §1 · MLG-2021
    art. 23") becomes the regulations it names; text without one (an already translated citation,
    a figure) is returned as it is."""
    text = "" if text is None else str(text)
    return basis(text, language) if internal_codes_in(text) else text
