"""Countries as ISO 3166-1 alpha-2 codes: only the codes the standard has assigned."""

from __future__ import annotations

from ecosystem.values import InvalidValue

# The officially assigned alpha-2 codes of ISO 3166-1 (249 countries and territories), as
# its maintenance agency publishes them. User-assigned codes (AA, QM-QZ, XA-XZ, ZZ, so also
# XK) and reserved ones (EU, UK, ...) are not countries and are refused. Kept here rather
# than taken from a package: the list changes a few times a decade, and one line of a diff
# then says exactly what changed.
_ROWS = (
    "AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ",
    "BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT BV BW BY BZ",
    "CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ",
    "DE DJ DK DM DO DZ",
    "EC EE EG EH ER ES ET",
    "FI FJ FK FM FO FR",
    "GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY",
    "HK HM HN HR HT HU",
    "ID IE IL IM IN IO IQ IR IS IT",
    "JE JM JO JP",
    "KE KG KH KI KM KN KP KR KW KY KZ",
    "LA LB LC LI LK LR LS LT LU LV LY",
    "MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ",
    "NA NC NE NF NG NI NL NO NP NR NU NZ",
    "OM",
    "PA PE PF PG PH PK PL PM PN PR PS PT PW PY",
    "QA",
    "RE RO RS RU RW",
    "SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ",
    "TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ",
    "UA UG UM US UY UZ",
    "VA VC VE VG VI VN VU",
    "WF WS",
    "YE YT",
    "ZA ZM ZW",
)
ASSIGNED = frozenset(code for row in _ROWS for code in row.split())


def country(value: str, what: str = "a country") -> str:
    """An assigned ISO 3166-1 alpha-2 code, in capitals as the standard writes it: `DE`."""
    if value not in ASSIGNED:
        raise InvalidValue(f"{what} must be an assigned ISO 3166-1 alpha-2 code, such as DE")
    return value
