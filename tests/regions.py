"""The region codes the tests use, in one place (重庆市).

Towns and counties are real divisions of the official table; the villages are not in it (the
table stops at towns), they are registered under a real town as ``TOWN + "2NN"`` — which is also
how ``fupin.synth.generate(n, TOWN)`` numbers the villages it makes.
"""

from __future__ import annotations

COUNTY = "500101"                  # 万州区
TOWN = "500101102"                 # 龙沙镇 (万州区)
OTHER_TOWN = "500101103"           # 响水镇 (万州区)
VILLAGE_A = TOWN + "201"           # 500101102201, in 龙沙镇
VILLAGE_B = TOWN + "202"           # 500101102202, in 龙沙镇: another cadre's village of the same town
VILLAGE_C = OTHER_TOWN + "201"     # 500101103201, in 响水镇
OTHER_COUNTY = "500102"            # 涪陵区
OTHER_COUNTY_VILLAGE = "500102001201"  # a village of 涪陵区 (under 敦仁街道 500102001)
COUNTRY = ""                       # a scope of the whole country (administrators)
CHONGQING = "50"                   # 重庆市: a province-level scope
