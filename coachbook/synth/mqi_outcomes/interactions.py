"""Calibrated treatment x moderator coefficients of the MQI outcome files (Table A2).

``INTERACTIONS[(column, year)]`` holds, for one outcome of Table A2 and one
year, the six coefficients of ``treatment x (moderator - its mean among the
treated teachers of the outcome's sample)`` in the order of
:data:`coachbook.studies.kraft_hill.variables.A2_MODERATORS` (district,
experience in years, MKT and the three survey scales in SD units), in the
units of the outcome's latent (see :mod:`coachbook.synth.mqi_outcomes.moderation`).
This file is written by ``python -m coachbook.synth.mqi_outcomes.moderation``
(fixed-point steps on the Table A2 estimates of the generated files); do not
edit it by hand.

Status (issue 14): ``CALIBRATED`` holds the coefficients of the last run of
the calibration (91 of the 95 legible Table A2 estimates within 0.25
published SE at its last check). They are **not yet applied**:
``INTERACTIONS`` is empty, so the bundled files carry no moderation and
Table A2 stays emergent. Applying them (``INTERACTIONS = CALIBRATED``)
changes the bundled files, and with them the Lee bounds and other numbers
the chapters assert; that re-execution and the prose that goes with it are
still to do.
"""

CALIBRATED: dict[tuple[str, int], tuple[float, ...]] = {
    ('Ambitious instruction', 1): (-0.0924, 0.0095, -0.2913, 0.3957, 0.0000, -0.1408),
    ('Change (own clip reflection)', 1): (0.4456, 0.0287, 0.0562, -0.1902, 0.3640, -0.5951),
    ('Critique (own clip reflection)', 1): (-2.5674, 0.0055, -1.1743, 0.1553, -0.4641, -1.0172),
    ('MAP/Star math test', 1): (0.1458, -0.0008, 0.0606, 0.0960, 0.0375, -0.2124),
    ('MQI language (stock clip response)', 1): (0.4066, 0.0075, -0.3495, -0.1928, 0.1760, 0.2903),
    ('State math test', 1): (0.1021, -0.0029, 0.0627, 0.1127, 0.0143, -0.1999),
    ('Ambitious instruction', 2): (-0.1038, 0.0056, -0.0823, 0.1756, -0.1133, 0.0228),
    ('CCASP', 2): (0.1732, 0.0017, -0.0308, 0.1366, 0.0628, -0.1334),
    ('Change (own clip reflection)', 2): (-0.1656, 0.0119, 0.1704, -0.0206, 0.2792, -0.1898),
    ('Critique (own clip reflection)', 2): (-1.5602, -0.1680, -0.4354, -0.2718, -0.0120, 0.4073),
    ('Errors', 2): (0.1003, 0.0065, -0.0935, 0.0065, 0.0470, 0.0055),
    ('MAP/Star math test', 2): (0.1805, 0.0073, -0.0094, 0.0664, 0.0438, -0.0444),
    ('MQI language (stock clip response)', 2): (0.0806, 0.0185, -0.3852, 0.0552, 0.1034, -0.5066),
    ('Richness', 2): (0.2127, 0.0019, -0.0081, -0.0044, 0.1030, 0.0251),
    ('State math test', 2): (-0.0746, -0.0065, 0.0449, 0.0389, 0.0041, 0.0041),
    ('Working with students', 2): (-0.0985, 0.0092, -0.2121, 0.1198, -0.0556, -0.2027),
}

#: Estimate per unit of coefficient, per outcome-year, measured by the last calibration.
GAINS: dict[tuple[str, int], float] = {
    ('Ambitious instruction', 1): 0.200,
    ('Change (own clip reflection)', 1): 0.491,
    ('Critique (own clip reflection)', 1): 1.732,
    ('MAP/Star math test', 1): 0.991,
    ('MQI language (stock clip response)', 1): 4.359,
    ('State math test', 1): 0.866,
    ('Ambitious instruction', 2): 0.792,
    ('CCASP', 2): 4.927,
    ('Change (own clip reflection)', 2): 1.479,
    ('Critique (own clip reflection)', 2): 4.393,
    ('Errors', 2): 2.215,
    ('MQI language (stock clip response)', 2): 3.720,
    ('Richness', 2): 5.000,
    ('State math test', 2): 1.001,
    ('Working with students', 2): 5.000,
}


#: The coefficients the generator uses (empty: no moderation in the bundled files, see above).
INTERACTIONS: dict[tuple[str, int], tuple[float, ...]] = {}
