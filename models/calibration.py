"""National calibration figures for realistic instances, each with the line it comes from.

The realistic instances (``instances/england/`` and ``bedplan generate``) are synthetic, but
their shape must match England: how many beds of each kind, who occupies them, how far from
home. Every number below is either a figure from ``shared/data/england-facts.md`` (the
``Source:`` comment quotes the fact), arithmetic on such figures (``Inference:``), a summary of
the unit sample ``shared/data/england-units.csv`` (``Sample:``), or a modelling choice the
sources do not settle (``Assumption:``). ``docs/instances.md`` lists them for readers.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from types import MappingProxyType

# --------------------------------------------------------------------------------------------
# Bed stock
# --------------------------------------------------------------------------------------------

#: Source: "NHS England-commissioned adult secure beds ... 7,313 on 1 April 2016" (written
#: parliamentary answer, 9 February 2018).
ADULT_SECURE_BEDS = 7313

#: Source: "NHS England-commissioned CAMHS Tier 4 beds: ... 1,449 (April 2017)" (same answer).
CAMHS_BEDS = 1449

#: Inference: no national total is published ("Adult eating disorder total beds nationally:
#: not found"); the data README estimates "about 30 adult eating-disorder units" and the
#: sample averages 12 beds a unit (157 beds over 13 units), so 30 x 12 = 360.
EATING_DISORDER_BEDS = 360

#: Source: Broadmoor "capacity for up to 210 men"; Rampton "357 commissioned beds";
#: Ashworth "13 wards and beds for 210 patients". 210 + 357 + 210 = 777.
HIGH_SECURE_BEDS = 777

#: Assumption: the split of the other 6,536 secure beds between medium and low is "not found";
#: we split them equally (women's beds alone run 635 medium to 990 low, see below).
MEDIUM_SECURE_BEDS = (ADULT_SECURE_BEDS - HIGH_SECURE_BEDS) // 2
LOW_SECURE_BEDS = ADULT_SECURE_BEDS - HIGH_SECURE_BEDS - MEDIUM_SECURE_BEDS

#: Sample: CAMHS beds by ward type in england-units.csv (general 558, picu 56, low 90,
#: medium 42 of 746 beds with a known count), applied to the national 1,449.
CAMHS_LEVEL_SHARE: Mapping[str, float] = MappingProxyType(
    {"general": 558 / 746, "picu": 56 / 746, "low": 90 / 746, "medium": 42 / 746}
)

#: Beds by (service, level) for England, from the figures above.
NATIONAL_BEDS: Mapping[tuple[str, str], int] = MappingProxyType(
    {
        ("adult_secure", "high"): HIGH_SECURE_BEDS,
        ("adult_secure", "medium"): MEDIUM_SECURE_BEDS,
        ("adult_secure", "low"): LOW_SECURE_BEDS,
        **{("camhs", lvl): round(CAMHS_BEDS * s) for lvl, s in CAMHS_LEVEL_SHARE.items()},
        ("eating_disorder", "general"): EATING_DISORDER_BEDS,
    }
)

#: Sample: ward sizes (beds) of the ward-level rows of england-units.csv with a known count
#: (site and service-line rows left out). High secure wards: Inference, Ashworth's 210 beds
#: over 13 wards is about 16 a ward.
WARD_BEDS: Mapping[tuple[str, str], tuple[int, ...]] = MappingProxyType(
    {
        ("adult_secure", "high"): (15, 16, 16, 16, 17, 17),
        ("adult_secure", "medium"): (
            7, 8, 8, 8, 10, 10, 10, 10, 11, 11, 12, 12, 12, 12, 12, 12, 12, 13, 13, 13, 14, 14,
            14, 15, 15, 15, 15, 15, 15, 15, 15, 16, 16, 16, 16, 16, 16, 16, 17, 17, 18, 18),
        ("adult_secure", "low"): (
            5, 8, 9, 9, 9, 9, 10, 10, 10, 10, 10, 10, 10, 10, 11, 11, 11, 12, 12, 12, 12, 12,
            12, 12, 12, 13, 13, 13, 13, 13, 13, 14, 14, 14, 14, 14, 15, 15, 15, 15, 15, 15, 15,
            15, 15, 15, 15, 16, 16, 16, 16, 16, 16, 16, 16, 17, 17, 18, 18, 19, 19, 20, 21, 26),
        ("camhs", "general"): (
            5, 6, 8, 8, 8, 10, 10, 10, 10, 11, 11, 11, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12,
            12, 12, 12, 12, 12, 12, 12, 13, 14, 14, 14, 15, 15, 16, 16, 18, 18, 24, 26, 28),
        ("camhs", "picu"): (4, 4, 8, 8, 10, 10, 12),
        ("camhs", "low"): (6, 7, 8, 10, 10, 11, 12, 12, 14),
        ("camhs", "medium"): (10, 14, 18),
        ("eating_disorder", "general"): (5, 10, 10, 10, 11, 12, 12, 14, 14, 14, 14, 15, 16),
    }
)

#: Sample: the median of WARD_BEDS, used to impute a ward whose bed count is unknown.
TYPICAL_WARD_BEDS: Mapping[tuple[str, str], int] = MappingProxyType(
    {("adult_secure", "high"): 16, ("adult_secure", "medium"): 14, ("adult_secure", "low"): 14,
     ("camhs", "general"): 12, ("camhs", "picu"): 8, ("camhs", "low"): 10,
     ("camhs", "medium"): 14, ("eating_disorder", "general"): 12}
)

#: Assumption: a site-level row that names no ward count stands for two wards.
SITE_WARDS_DEFAULT = 2

#: Sample: 196 of the 314 rows are NHS, 118 independent.
INDEPENDENT_SHARE = 118 / 314

#: Assumption: wards per hospital site in generated instances (the sample averages about 3
#: ward rows per distinct site).
WARDS_PER_SITE = 3.0

# --------------------------------------------------------------------------------------------
# Sex
# --------------------------------------------------------------------------------------------

#: Source: "Women's secure beds in England and Wales: 589 medium ..., 46 enhanced medium
#: (WEMSS) and 990 low" (PMC3516819); Inference: 20–23% of all secure beds.
WOMEN_MEDIUM_SECURE_BEDS = 589 + 46
WOMEN_LOW_SECURE_BEDS = 990
#: Source: Rampton holds "the national high secure service for women (50 commissioned beds)".
WOMEN_HIGH_SECURE_BEDS = 50

#: Share of beds in women-only wards, by (service, level), for generated units.
#: Secure: the figures above over NATIONAL_BEDS. CAMHS and ED: Sample of the rows with a
#: known sex (CAMHS 35 mixed, 3 girls', 1 boys' ward; ED 6 mixed, 2 women's wards).
FEMALE_WARD_SHARE: Mapping[tuple[str, str], float] = MappingProxyType(
    {
        ("adult_secure", "high"): WOMEN_HIGH_SECURE_BEDS / HIGH_SECURE_BEDS,
        ("adult_secure", "medium"): WOMEN_MEDIUM_SECURE_BEDS / MEDIUM_SECURE_BEDS,
        ("adult_secure", "low"): WOMEN_LOW_SECURE_BEDS / LOW_SECURE_BEDS,
        **{("camhs", lvl): 3 / 39 for lvl in CAMHS_LEVEL_SHARE},
        ("eating_disorder", "general"): 2 / 8,
    }
)
#: Share of male-only wards. Secure wards are single-sex (the sample has 150 men's and 40
#: women's ward rows against 5 mixed site rows), so the rest of secure wards are male.
MALE_WARD_SHARE: Mapping[tuple[str, str], float] = MappingProxyType(
    {
        ("adult_secure", "high"): 1 - WOMEN_HIGH_SECURE_BEDS / HIGH_SECURE_BEDS,
        ("adult_secure", "medium"): 1 - WOMEN_MEDIUM_SECURE_BEDS / MEDIUM_SECURE_BEDS,
        ("adult_secure", "low"): 1 - WOMEN_LOW_SECURE_BEDS / LOW_SECURE_BEDS,
        **{("camhs", lvl): 1 / 39 for lvl in CAMHS_LEVEL_SHARE},
        ("eating_disorder", "general"): 0.0,
    }
)

#: Share of female patients in a *mixed* ward, by service.
#: adult_secure: Inference, women hold 20–23% of secure beds (we use 0.21).
#: eating_disorder: Source, "About 5% of admissions are male" (NHS England consultation).
#: camhs: Assumption, no national figure was found; girls are taken as 70% of patients.
FEMALE_SHARE_IN_MIXED: Mapping[str, float] = MappingProxyType(
    {"adult_secure": 0.21, "camhs": 0.70, "eating_disorder": 0.95}
)

# --------------------------------------------------------------------------------------------
# Occupancy, out of area, movement
# --------------------------------------------------------------------------------------------

#: Source: medium secure "Occupancy was above 90%" (HSJ, 2000 survey). We use 0.9.
OCCUPANCY = 0.9

#: Share of inpatients of a regional collaborative placed outside their home collaborative.
#: men: Source, IMPACT "cut the share ... from 14% at go-live ... to under 6%" and NHS
#: Providers "21% to 6%": we take 14%, inside the 6–21% range. women: Source, "A third of
#: women in low or medium secure care (2011 census) were outside their home region".
#: CAMHS and eating disorders: Assumption, the same shares (no figure was found).
OUT_OF_AREA_SHARE: Mapping[str, float] = MappingProxyType({"male": 0.14, "female": 1 / 3})
#: Acceptable range for tests and docs (Source: the 6%–21% of the two IMPACT figures, and
#: a third of women).
OUT_OF_AREA_RANGE = (0.06, 0.35)

#: Source: acute adult OAPs, December 2016: "242 were more than 100 km from home (about 46%)".
#: Used only to check that out-of-area placements are far from home, not to set them.
OAP_OVER_100KM_SHARE = 242 / 528

#: Assumption: homes of out-of-area inpatients are drawn from other collaboratives' areas with
#: weight population x exp(-km / OUT_OF_AREA_DECAY_KM) from the unit, so that neighbouring
#: areas are likelier than the far end of England; homes of in-area patients with weight
#: population x exp(-km / IN_AREA_DECAY_KM) within the unit's own collaborative area.
OUT_OF_AREA_DECAY_KM = 120.0
IN_AREA_DECAY_KM = 60.0

#: Assumption: share of inpatients not safe to move tonight (acutely unwell, recently admitted,
#: awaiting tribunal); no national figure was found.
NOT_MOVABLE_SHARE = 0.10

#: Assumption: share of adult high and medium secure inpatients ready for a lower security
#: level and waiting for a bed there ("delayed": they stay where they are, incompatible).
DELAYED_SHARE = 0.02

#: Assumption: share of patients with wards they must never go to (victim proximity, previous
#: incidents), each excluding one or two wards of their service and level.
EXCLUDED_SHARE = 0.03

#: Assumption: tonight's referrals as a share of beds ("~3% of beds" in the project brief;
#: Source for order of magnitude: the South East adult ED collaborative's "351 referrals for
#: admission between July 2018 and March 2021" for about 60 beds is a few a week).
REFERRAL_SHARE_OF_BEDS = 0.03
#: Assumption: referral priority 1, 2, 3 with these probabilities.
PRIORITY_PROBABILITIES = (0.6, 0.3, 0.1)

#: Share of beds that are closed (out of use) in generated instances. Assumption: 5% of
#: wards have one or two beds closed.
CLOSED_WARD_SHARE = 0.05

# --------------------------------------------------------------------------------------------
# Specialisms and needs
# --------------------------------------------------------------------------------------------

#: Sample: share of ward rows of each (service, level) whose name says it offers the pathway
#: (learning disability, autism, personality disorder, deaf, acquired brain injury, WEMSS,
#: CAMHS eating disorder), from england-units.csv.
SPECIALISM_SHARE: Mapping[tuple[str, str], Mapping[str, float]] = MappingProxyType(
    {
        ("adult_secure", "high"): {"ld": 0.05, "pd": 0.10, "deaf": 0.05},
        ("adult_secure", "medium"): {"ld": 0.055, "asd": 0.01, "pd": 0.08, "deaf": 0.01,
                                     "abi": 0.02, "wemss": 0.02},
        ("adult_secure", "low"): {"ld": 0.046, "asd": 0.046, "pd": 0.046, "deaf": 0.023},
        ("camhs", "general"): {"ed": 0.26},
        ("camhs", "picu"): {},
        ("camhs", "low"): {},
        ("camhs", "medium"): {},
        ("eating_disorder", "general"): {},
    }
)

#: Assumption: an inpatient of a specialist ward needs one of its pathways with this
#: probability (the others are placed there for a bed, not for the pathway).
SPECIALIST_NEED_SHARE = 0.85

# --------------------------------------------------------------------------------------------
# Ages
# --------------------------------------------------------------------------------------------

#: Assumption (no age profile was found): adults are 18 + Gamma(shape, scale) years, mean
#: 36 in secure care and 28 in eating-disorder units; CAMHS patients 12–17, mostly 14–16.
ADULT_AGE_GAMMA: Mapping[str, tuple[float, float]] = MappingProxyType(
    {"adult_secure": (3.0, 6.0), "eating_disorder": (2.0, 5.0)}
)
CAMHS_AGE_PROBABILITIES: Mapping[int, float] = MappingProxyType(
    {12: 0.05, 13: 0.10, 14: 0.17, 15: 0.23, 16: 0.25, 17: 0.20}
)

# --------------------------------------------------------------------------------------------
# Length of stay (for admitted_on, informational)
# --------------------------------------------------------------------------------------------

#: Mean length of stay in days by (service, level). Sources: high secure "about 5 years"
#: (Rampton) to 5.5 (Broadmoor); medium "between 2 and 5 years"; low "1–2 years" (Forest
#: Lodge) and "18–24 months" (Cygnet Bury); CAMHS general "about 4–6 weeks" (Pennine Care),
#: CAMHS eating disorder "120–130 days"; adult ED "16 weeks" (Cotswold House). CAMHS PICU,
#: low and medium: Assumption, 3 months, 1 year and 18 months.
MEAN_STAY_DAYS: Mapping[tuple[str, str], float] = MappingProxyType(
    {
        ("adult_secure", "high"): 5 * 365.0,
        ("adult_secure", "medium"): 3 * 365.0,
        ("adult_secure", "low"): 1.5 * 365.0,
        ("camhs", "general"): 35.0,
        ("camhs", "picu"): 90.0,
        ("camhs", "low"): 365.0,
        ("camhs", "medium"): 540.0,
        ("eating_disorder", "general"): 112.0,
    }
)

#: Assumption: "tonight" for generated instances, fixed so that files are reproducible.
REFERENCE_DATE = date(2026, 1, 15)

# --------------------------------------------------------------------------------------------
# Cost
# --------------------------------------------------------------------------------------------

#: GBP per occupied bed-day by (service, level).
#: high: Source, "high secure costs about £300,000 a year" → 300000 / 365 = 822.
#: medium: Source, "A year in medium secure care costs £165,000 on average" → 452.
#: low: Assumption, 90% of medium (no figure was found) → 407.
#: eating_disorder: Source, "more than £500 a day" (Hull, about 2012) → 500.
#: camhs: Assumption, the eating-disorder figure (no CAMHS figure was found) → 500.
COST_PER_DAY: Mapping[tuple[str, str], float] = MappingProxyType(
    {
        ("adult_secure", "high"): 822.0,
        ("adult_secure", "medium"): 452.0,
        ("adult_secure", "low"): 407.0,
        ("camhs", "general"): 500.0,
        ("camhs", "picu"): 500.0,
        ("camhs", "low"): 500.0,
        ("camhs", "medium"): 500.0,
        ("eating_disorder", "general"): 500.0,
    }
)

# --------------------------------------------------------------------------------------------
# Where people live
# --------------------------------------------------------------------------------------------

#: Assumption: a postcode district's population is proportional to its number of postcodes
#: (ONS Postcode Directory, models/data/postcode_districts.csv); districts with fewer than
#: this many postcodes (PO boxes, single large users) are not homes.
MIN_DISTRICT_POSTCODES = 20
