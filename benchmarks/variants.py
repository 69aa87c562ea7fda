"""Made-up variants of real texts, shared by the benchmarks: a few real word edits."""

from __future__ import annotations

import random
import re


def is_chinese(text: str) -> bool:
    return sum("\u4e00" <= ch <= "\u9fff" for ch in text[:2000]) > 200


def edit_words(text: str, rng: random.Random, n: int) -> str:
    zh = is_chinese(text)
    units = list(text) if zh else re.split(r"( +)", text)
    spots = [i for i, u in enumerate(units) if (u.strip() and (zh or u.isalpha()))]
    vocab = [units[i] for i in spots] or ["x"]
    if not spots:
        return text + " x"
    for _ in range(n):
        i = rng.choice(spots)
        match rng.randrange(4):
            case 0:
                units[i] = rng.choice(vocab)
            case 1:
                units[i] = ""
            case 2:
                units[i] = units[i] + ("" if zh else " ") + rng.choice(vocab)
            case _:
                j = min(i + (1 if zh else 2), len(units) - 1)
                units[i], units[j] = units[j], units[i]
    return "".join(units)
