"""Number theory and representation: gcd, lcm, primes, factors, remainders, bases, rounding."""

from __future__ import annotations

import math
import random
from decimal import ROUND_HALF_UP, Decimal

import sympy
from mathgym.envs.reasoning.generators.common import bind_integer, element
from mathgym.envs.reasoning.registry import Draft, register

_MAG = (50, 200, 1000, 10**4, 10**6)
_DIGITS = "0123456789abcdefghijklmnopqrstuvwxyz"


def _num(v: int) -> dict:
    return element("number", value=v)


def _gcd_pair(rng: random.Random, difficulty: int) -> tuple[int, int]:
    """Two positive integers sharing a nontrivial factor most of the time."""
    m = _MAG[difficulty - 1]
    g = rng.randint(1, max(2, int(math.isqrt(m))))
    a = g * rng.randint(1, max(1, m // g))
    b = g * rng.randint(1, max(1, m // g))
    return a, b


@register("gcd", knobs="operands up to 50/200/1000/10^4/10^6, built around a common factor")
def gcd(rng: random.Random, difficulty: int) -> Draft:
    """The greatest common divisor of two positive integers."""
    a, b = _gcd_pair(rng, difficulty)
    template = rng.choice(("What is the greatest common divisor of {a} and {b}?",
                           "Calculate the highest common factor of {a} and {b}."))
    return Draft(
        question=template.format(a=a, b=b),
        answer=str(math.gcd(a, b)),
        answer_type="integer",
        data={"a": a, "b": b, "elements": [_num(a), _num(b)]},
    )


@register(
    "gcd_composed",
    knobs="as gcd, with the first operand defined by a chain of 1/1/2/2/3 sub-problems",
    composed=True,
)
def gcd_composed(rng: random.Random, difficulty: int) -> Draft:
    """The gcd of a composed value and a number."""
    a, b = _gcd_pair(rng, min(difficulty, 3))
    depth = (1, 1, 2, 2, 3)[difficulty - 1]
    sentences, name, steps = bind_integer(rng, a, depth)
    return Draft(
        question=" ".join(sentences) + f" What is the greatest common divisor of {name} and {b}?",
        answer=str(math.gcd(a, b)),
        answer_type="integer",
        data={"a": name, "b": b, "bindings": steps},
    )


@register("lcm", knobs="operands up to 20/50/200/1000/10^4, built around a common factor")
def lcm(rng: random.Random, difficulty: int) -> Draft:
    """The least common multiple of two positive integers."""
    m = (20, 50, 200, 1000, 10**4)[difficulty - 1]
    g = rng.randint(1, max(2, int(math.isqrt(m))))
    a, b = g * rng.randint(1, max(1, m // g)), g * rng.randint(1, max(1, m // g))
    template = rng.choice(("What is the least common multiple of {a} and {b}?",
                           "Calculate the smallest common multiple of {a} and {b}."))
    return Draft(
        question=template.format(a=a, b=b),
        answer=str(math.lcm(a, b)),
        answer_type="integer",
        data={"a": a, "b": b, "elements": [_num(a), _num(b)]},
    )


@register(
    "is_prime",
    knobs="numbers up to 100/1000/10^4/10^6/10^9; half are prime, composites are odd "
    "products of two factors",
)
def is_prime(rng: random.Random, difficulty: int) -> Draft:
    """Is a number prime? Half the answers are True."""
    m = (100, 1000, 10**4, 10**6, 10**9)[difficulty - 1]
    if rng.random() < 0.5:
        n = int(sympy.prevprime(rng.randint(3, m)))
    else:
        while True:
            a = rng.randrange(3, max(5, int(math.isqrt(m))), 2)
            b = rng.randrange(3, max(5, m // a), 2)
            n = a * b
            if n <= m:
                break
    return Draft(
        question=rng.choice(("Is {n} a prime number?", "Is {n} prime?")).format(n=n),
        answer=str(bool(sympy.isprime(n))),
        answer_type="boolean",
        data={"n": n, "elements": [_num(n)]},
    )


@register(
    "is_factor",
    knobs="divisors up to 10/20/50/100/1000 and multiples up to 100 times them; half true",
)
def is_factor(rng: random.Random, difficulty: int) -> Draft:
    """Does ``d`` divide ``n``? Half the answers are True."""
    m = (10, 20, 50, 100, 1000)[difficulty - 1]
    d = rng.randint(2, m)
    n = d * rng.randint(1, 100)
    if rng.random() < 0.5:
        n += rng.randint(1, d - 1)
    template = rng.choice(("Is {d} a factor of {n}?", "Does {d} divide {n}?"))
    return Draft(
        question=template.format(d=d, n=n),
        answer=str(n % d == 0),
        answer_type="boolean",
        data={"d": d, "n": n, "elements": [_num(d), _num(n)]},
    )


@register(
    "list_prime_factors",
    knobs="numbers up to 100/1000/10^4/10^6/10^8 with 2/3/3/4/5 prime factors (with "
    "multiplicity)",
)
def list_prime_factors(rng: random.Random, difficulty: int) -> Draft:
    """The distinct prime factors of a number. The question asks for no order, so the answer
    is an ``unordered_list`` (the reference lists them increasing; any order scores 1)."""
    m = (100, 1000, 10**4, 10**6, 10**8)[difficulty - 1]
    count = (2, 3, 3, 4, 5)[difficulty - 1]
    primes = list(sympy.primerange(2, 100))
    while True:
        n = 1
        for _ in range(count):
            n *= rng.choice(primes)
        if 4 <= n <= m:
            break
    factors = sorted(sympy.primefactors(n))
    return Draft(
        question=f"List the prime factors of {n}.",
        answer="[" + ", ".join(map(str, factors)) + "]",
        answer_type="unordered_list",
        spec={"element_type": "integer"},
        data={"n": n, "elements": [_num(n)]},
    )


@register(
    "div_remainder",
    knobs="dividends up to 100/1000/10^4/10^6/10^9, divisors up to 10/20/100/1000/10^4",
)
def div_remainder(rng: random.Random, difficulty: int) -> Draft:
    """The remainder of a positive integer division."""
    n = rng.randint(1, (100, 1000, 10**4, 10**6, 10**9)[difficulty - 1])
    d = rng.randint(2, (10, 20, 100, 1000, 10**4)[difficulty - 1])
    template = rng.choice(("What is the remainder when {n} is divided by {d}?",
                           "Calculate the remainder when {n} is divided by {d}."))
    return Draft(
        question=template.format(n=n, d=d),
        answer=str(n % d),
        answer_type="integer",
        data={"n": n, "d": d, "elements": [_num(n), _num(d)]},
    )


@register(
    "div_remainder_composed",
    knobs="as div_remainder (levels 1-3 magnitudes) with the dividend defined by a chain of "
    "1/1/2/2/3 sub-problems",
    composed=True,
)
def div_remainder_composed(rng: random.Random, difficulty: int) -> Draft:
    """The remainder of a composed dividend."""
    n = rng.randint(1, 200)
    d = rng.randint(2, 20)
    depth = (1, 1, 2, 2, 3)[difficulty - 1]
    sentences, name, steps = bind_integer(rng, n, depth)
    return Draft(
        question=" ".join(sentences) + f" What is the remainder when {name} is divided by {d}?",
        answer=str(n % d),
        answer_type="integer",
        data={"n": name, "d": d, "bindings": steps},
    )


def to_base(n: int, base: int) -> str:
    """Lower-case digits of a non-negative ``n`` in ``base`` (2..36)."""
    if n == 0:
        return "0"
    out = []
    while n:
        n, r = divmod(n, base)
        out.append(_DIGITS[r])
    return "".join(reversed(out))


@register(
    "base_conversion",
    knobs="values up to 100/1000/10^4/10^5/10^6; bases 2/10/16 (levels 1-2), any of 2-16 "
    "(3-4), any of 2-36 (5)",
)
def base_conversion(rng: random.Random, difficulty: int) -> Draft:
    """Convert a non-negative integer between bases; the answer is a digit string."""
    n = rng.randint(0, (100, 1000, 10**4, 10**5, 10**6)[difficulty - 1])
    pool = (2, 10, 16) if difficulty <= 2 else tuple(range(2, 17 if difficulty <= 4 else 37))
    while True:
        src, dst = rng.choice(pool), rng.choice(pool)
        if src != dst:
            break
    return Draft(
        question=f"Convert {to_base(n, src)} (base {src}) to base {dst}.",
        answer=to_base(n, dst),
        answer_type="base_n",
        spec={"base": dst},
        data={"digits": to_base(n, src), "from_base": src, "to_base": dst},
    )


_PLACES = {-1: "ten", -2: "hundred", -3: "thousand", -4: "ten thousand", -6: "million",
           1: "one decimal place", 2: "two decimal places", 3: "three decimal places"}


@register(
    "round_number",
    knobs="integers to the nearest 10/100 (1), 1000/10^4 (2); decimals to 1 (3), 1-2 (4), "
    "1-3 (5) places or large integers to the nearest million (5); never a tie",
)
def round_number(rng: random.Random, difficulty: int) -> Draft:
    """Round to a power of ten; exact decimal answer with zero tolerance."""
    places = {1: rng.choice((-1, -2)), 2: rng.choice((-3, -4)), 3: 1,
              4: rng.randint(1, 2), 5: rng.choice((1, 2, 3, -6))}[difficulty]
    while True:
        extra = rng.randint(1, 3)
        digits = rng.randint(1, 4) + max(places, 0) + extra + max(-places, 0)
        raw = rng.randint(-(10**digits) + 1, 10**digits - 1)
        value = Decimal(raw).scaleb(-(max(places, 0) + extra))
        tail = (abs(value) * Decimal(10) ** places) % 1
        if tail != Decimal("0.5"):
            break
    rounded = value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    text = format(value.normalize(), "f")
    if places > 0:
        question = f"Round {text} to {_PLACES[places]}."
        answer = format(rounded.normalize(), "f")
    else:
        question = f"Round {text} to the nearest {_PLACES[places]}."
        answer = str(int(rounded))
    if answer in {"-0", "-0.0"}:
        answer = "0"
    return Draft(
        question=question,
        answer=answer,
        answer_type="decimal",
        spec={"tolerance": "0"},
        data={"value": text, "places": places},
    )


_DIGIT_NAMES = ("units", "tens", "hundreds", "thousands", "ten thousands",
                "hundred thousands", "millions", "ten millions")


@register(
    "place_value",
    knobs="numbers with 2/3/4/6/8 digits; any position",
)
def place_value(rng: random.Random, difficulty: int) -> Draft:
    """A digit of an integer by its place name."""
    digits = (2, 3, 4, 6, 8)[difficulty - 1]
    n = rng.randint(10 ** (digits - 1), 10**digits - 1)
    pos = rng.randint(0, digits - 1)
    return Draft(
        question=f"What is the {_DIGIT_NAMES[pos]} digit of {n}?",
        answer=str(n // 10**pos % 10),
        answer_type="integer",
        data={"n": n, "position": pos, "elements": [_num(n), _num(10**pos)]},
    )
