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

#: Source: "NHS England-commissioned adult secure beds ... 7,239 on 1 April 2017" (written
#: parliamentary answer, 9 February 2018; 7,313 a year earlier), the latest figure found.
ADULT_SECURE_BEDS = 7239

#: Source: "NHS England-commissioned CAMHS Tier 4 beds: ... 1,449 (April 2017)" (same answer).
CAMHS_BEDS = 1449

#: Inference: no national total is published ("Adult eating disorder total beds nationally:
#: not found"); the data README estimates "about 30 adult eating-disorder units" and the
#: sample averages 12 beds a unit (157 beds over 13 units), so 30 x 12 = 360.
EATING_DISORDER_BEDS = 360

#: Source: Broadmoor "capacity for up to 210 men"; Rampton "357 commissioned beds";
#: Ashworth "13 wards and beds for 210 patients". 210 + 357 + 210 = 777.
HIGH_SECURE_BEDS = 777

#: Assumption: the split of the other 6,462 secure beds between medium and low is "not found";
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
# Length of stay, dates and future referrals
# --------------------------------------------------------------------------------------------

#: Mean length of stay in days by (service, level). Sources (england-facts.md): high secure
#: "5–7" years (Rampton about 5, Broadmoor 5.5, Ashworth 6–7) → 6 years; medium "between 2
#: and 5 years" and "about two years in secure care" → 3 years; low "1–2 years" (Forest Lodge)
#: and "18–24 months" (Cygnet Bury) → 18 months; CAMHS general "about 4–6 weeks" (Pennine
#: Care) → 35 days; adult ED "16 weeks" (Cotswold House; "about 4 months") → 112 days.
#: CAMHS PICU, low and medium: Assumption, 3 months, 1 year and 18 months.
MEAN_STAY_DAYS: Mapping[tuple[str, str], float] = MappingProxyType(
    {
        ("adult_secure", "high"): 6 * 365.0,
        ("adult_secure", "medium"): 3 * 365.0,
        ("adult_secure", "low"): 1.5 * 365.0,
        ("camhs", "general"): 35.0,
        ("camhs", "picu"): 90.0,
        ("camhs", "low"): 365.0,
        ("camhs", "medium"): 540.0,
        ("eating_disorder", "general"): 112.0,
    }
)
#: Source: CAMHS eating-disorder admissions "averaged 120–130 days" → 125 days, for patients
#: of a CAMHS ward who need its eating-disorder pathway.
CAMHS_ED_MEAN_STAY_DAYS = 125.0


def mean_stay_days(service: str, level: str, needs: frozenset[str] = frozenset()) -> float:
    """Mean length of stay for a patient of (service, level) with these needs."""
    if service == "camhs" and "ed" in needs:
        return CAMHS_ED_MEAN_STAY_DAYS
    return MEAN_STAY_DAYS.get((service, level), 365.0)


#: Assumption: lengths of stay are exponential with the mean above. Then, for the people in
#: hospital on a census night, the time since admission and the time still to stay are both
#: exponential with that mean (length-biased sampling of an exponential), independently:
#: ``admitted_on = start - Exp(mean)`` and ``expected_discharge = start + Exp(mean)``, each
#: at least one day and at most 3 x the mean (truncation keeps a few very long tails out).
STAY_CAP_MEANS = 3.0

#: Assumption: the night the England instance starts from, and the nights of its plan
#: (``[plan] start`` and ``nights`` in its policy.toml). Fixed so files are reproducible.
PLAN_START = date(2026, 12, 7)
PLAN_NIGHTS = 28
#: Assumption: generated instances date admissions back from this night too.
REFERENCE_DATE = PLAN_START

#: Assumption: future referrals are drawn over the next 12 weeks (84 days).
REFERRAL_HORIZON_DAYS = 84


def referrals_per_day(occupied_beds: float, service: str, level: str) -> float:
    """Inference (Little's law, a steady state): new admissions a day = occupied beds / mean
    stay, so referrals of a (service, level, collaborative) arrive at that rate."""
    return occupied_beds / MEAN_STAY_DAYS.get((service, level), 365.0)


# --------------------------------------------------------------------------------------------
# Legal status (informational; restricted patients may not move without agreement)
# --------------------------------------------------------------------------------------------

#: Share of patients by legal status and (service, level), the ward research's proposed mix
#: (scripts/data/england/ward-functions.md). Anchors (Source): 4,899 restricted patients
#: detained in England and Wales at the end of 2019 (MoJ, via Sharma et al. 2021) against
#: about 7,200 secure beds, so about two-thirds of secure beds hold restricted patients
#: (Inference); transferred prisoners (s47/49, s48/49) 25% of restricted patients (2007);
#: one in five eating-disorder admissions under section (UEA/Beat 2015). The split within each
#: row, and every CAMHS row, is an Assumption (no national CAMHS figure was found).
LEGAL_STATUS_MIX: Mapping[tuple[str, str], Mapping[str, float]] = MappingProxyType(
    {
        ("adult_secure", "high"): {"s37/41": 50, "s47/49": 20, "s48/49": 3, "s37": 5,
                                   "s3": 22},
        ("adult_secure", "medium"): {"s37/41": 45, "s47/49": 18, "s48/49": 7, "s37": 10,
                                     "s3": 20},
        ("adult_secure", "low"): {"s37/41": 40, "s47/49": 15, "s48/49": 3, "s37": 12, "s3": 30},
        ("camhs", "general"): {"s3": 30, "s2": 20, "informal": 50},
        ("camhs", "picu"): {"s3": 55, "s2": 40, "informal": 5},
        ("camhs", "low"): {"s37/41": 5, "s48/49": 5, "s37": 10, "s3": 75, "s2": 5},
        ("camhs", "medium"): {"s37/41": 25, "s47/49": 10, "s48/49": 15, "s37": 10, "s3": 40},
        ("eating_disorder", "general"): {"s3": 18, "s2": 2, "informal": 80},
    }
)
#: CAMHS patients of an eating-disorder pathway (same research, Assumption).
CAMHS_ED_LEGAL_STATUS_MIX: Mapping[str, float] = MappingProxyType(
    {"s3": 20, "s2": 5, "informal": 75})
#: Women in low and medium secure: 10 points move from s37/41 to s3 (Source for the
#: direction: the independent sector holds more women detained for self-harm, Bartlett et
#: al. 2014; the size is an Assumption).
WOMEN_SECURE_S3_SHIFT = 10.0
#: Restricted patients: the Secretary of State (Ministry of Justice) must consent to leave,
#: transfer and discharge (Mental Health Act 1983, ss. 41 and 49).
RESTRICTED_STATUSES = frozenset({"s37/41", "s47/49", "s48/49"})
#: Assumption (ward research): 10% of restricted inpatients have an agreed transfer in hand
#: tonight (consents average 95 days per admission in one service, Sharma et al. 2021); the
#: other 90% are not movable.
RESTRICTED_TRANSFER_AGREED_SHARE = 0.10


def legal_status_mix(service: str, level: str, sex: str,
                     needs: frozenset[str] = frozenset()) -> dict[str, float]:
    """The legal-status shares for a patient (weights, not normalised)."""
    if service == "camhs" and "ed" in needs:
        return dict(CAMHS_ED_LEGAL_STATUS_MIX)
    mix = dict(LEGAL_STATUS_MIX.get((service, level), {}))
    if service == "adult_secure" and level in ("medium", "low") and sex == "female":
        shift = min(WOMEN_SECURE_S3_SHIFT, mix.get("s37/41", 0.0))
        mix["s37/41"] = mix.get("s37/41", 0.0) - shift
        mix["s3"] = mix.get("s3", 0.0) + shift
    return mix


# --------------------------------------------------------------------------------------------
# Ward function (contract 1.2)
# --------------------------------------------------------------------------------------------

#: Assumption (ward research: "about 90% need it, a documented few are wrong-ward delayed
#: stays"): share of the inpatients of a specialist-only ward who do not need its specialism
#: (placed there for a bed: a delayed stay); the rest need one of its specialisms.
WRONG_WARD_SHARE = 0.05
#: Assumption (generated wards): share of wards with a pathway that take only patients who
#: need it, and share of other wards that take transfers only (rehabilitation, step-down).
SPECIALIST_ONLY_SHARE = 0.6
TRANSFERS_ONLY_SHARE: Mapping[str, float] = MappingProxyType(
    {"adult_secure": 0.10, "camhs": 0.0, "eating_disorder": 0.0})

# --------------------------------------------------------------------------------------------
# Cost
# --------------------------------------------------------------------------------------------

#: GBP per occupied bed-day by (service, level, provider type): NHS block contract or
#: independent sector. The same figures, each with its page, are the England instance's
#: ``scripts/data/england/prices.csv`` (a test keeps the two equal).
#: NHS high: Source, "high secure costs about £300,000 a year" → 300000 / 365 = 822 (all
#:   high secure beds are NHS; an independent one would cost the same, Assumption).
#: NHS medium: Source, "A year in medium secure care costs £165,000 on average" → 452.
#: NHS low: Inference, 452 x the Department of Health's average low / medium secure place
#:   cost (£96,816 / £111,497 a year) → 392.
#: independent low: Inference, independent providers' £1.964bn a year from the NHS over the
#:   9,111 of their 10,123 beds that hold NHS patients → 590 a bed-day (LaingBuisson, via
#:   the Guardian); independent medium: Inference, 590 / 0.868 (the NHS low/medium ratio) → 680.
#: NHS eating disorder: Source, "more than £500 a day" (Hull, about 2012) → 500;
#:   independent: Source, specialist units "charging about £520+ a day" (Hertfordshire) → 520.
#: NHS CAMHS: Assumption, the eating-disorder figure (no CAMHS figure was found) → 500;
#:   independent CAMHS: Inference, the independent sector's 590 a bed-day above.
COST_PER_DAY_BY_PROVIDER: Mapping[tuple[str, str, str], float] = MappingProxyType(
    {
        ("adult_secure", "high", "nhs"): 822.0,
        ("adult_secure", "high", "independent"): 822.0,
        ("adult_secure", "medium", "nhs"): 452.0,
        ("adult_secure", "medium", "independent"): 680.0,
        ("adult_secure", "low", "nhs"): 392.0,
        ("adult_secure", "low", "independent"): 590.0,
        **{("camhs", lvl, "nhs"): 500.0 for lvl in ("general", "picu", "low", "medium")},
        **{("camhs", lvl, "independent"): 590.0 for lvl in ("general", "picu", "low", "medium")},
        ("eating_disorder", "general", "nhs"): 500.0,
        ("eating_disorder", "general", "independent"): 520.0,
    }
)
#: NHS price by (service, level), for callers that do not know the provider type.
COST_PER_DAY: Mapping[tuple[str, str], float] = MappingProxyType(
    {(s, lvl): c for (s, lvl, t), c in COST_PER_DAY_BY_PROVIDER.items() if t == "nhs"})


def cost_per_day(service: str, level: str, provider_type: str) -> float:
    """Price of a bed-day; an unknown provider type pays the NHS price."""
    kind = provider_type if provider_type in ("nhs", "independent") else "nhs"
    return COST_PER_DAY_BY_PROVIDER[(service, level, kind)]


# --------------------------------------------------------------------------------------------
# Where people live
# --------------------------------------------------------------------------------------------

#: Assumption: a postcode district's population is proportional to its number of postcodes
#: (ONS Postcode Directory, models/data/postcode_districts.csv); districts with fewer than
#: this many postcodes (PO boxes, single large users) are not homes.
MIN_DISTRICT_POSTCODES = 20
