"""Name and phone pools from Faker zh_CN: the only thing the generator takes from Faker.

Faker's addresses are incoherent and its ID generator silently swaps unknown counties, so only
surnames, given names and mobile prefixes come from it. The pools are drawn once with a fixed
Faker seed (so that they keep Faker's frequencies) and then indexed with numpy.
"""

from __future__ import annotations

from functools import lru_cache

from faker import Faker

POOL_SIZE = 2000
_FAKER_SEED = 20140101


@lru_cache(maxsize=1)
def pools() -> dict[str, tuple[str, ...]]:
    """``surnames``, ``given_male``, ``given_female`` and ``mobile_prefixes`` (3 digits)."""
    fake = Faker("zh_CN")
    fake.seed_instance(_FAKER_SEED)
    return {
        "surnames": tuple(fake.last_name() for _ in range(POOL_SIZE)),
        "given_male": tuple(fake.first_name_male() for _ in range(POOL_SIZE)),
        "given_female": tuple(fake.first_name_female() for _ in range(POOL_SIZE)),
        "mobile_prefixes": tuple(fake.phone_number()[:3] for _ in range(POOL_SIZE)),
    }
