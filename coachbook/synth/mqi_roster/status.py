"""Follow-up status and missing outcomes of the teachers (Tables 4, A1 and A3), by a swap search."""
from __future__ import annotations

import numpy as np
import pandas as pd

from coachbook.studies.kraft_hill.variables import A3_CHARACTERISTICS
from coachbook.synth.mqi_roster.targets import _A3, _MISSING, _MISSING_BETA


# --------------------------------------------------------------------------
# Follow-up status and missing outcomes
# --------------------------------------------------------------------------
def _within_block_treat(df: pd.DataFrame) -> np.ndarray:
    t = df["treatment"].to_numpy(dtype=float)
    return t - df.groupby("block")["treatment"].transform("mean").to_numpy()


def _choose_set(rng, treat, t_tilde, counts, beta, forced, pool, latent,
                x_std=None, gap_target=None, s_inv=None, block_codes=None,
                iters: int = 400) -> np.ndarray:
    """Pick a missing set with the published per-arm counts (post-hoc calibration).

    Start: ``forced`` units plus, within each arm, the top of ``latent`` +
    Gumbel noise among ``pool``. Then greedy best swaps (one in, one out,
    same arm, so the counts are kept) minimizing

    ``25 ((b - beta) / se)^2 + sum_k (gap_k - gap_target_k)^2 + MAHAL D2 + 5 Z``

    where ``b`` is the block-fixed-effect coefficient of treatment on the
    missing indicator (Frisch-Waugh: ``sum(t_tilde * y) / sum(t_tilde * t)``);
    ``gap_k`` the leaver-minus-stayer mean of characteristic k in SD units;
    ``D2 = gap' S^-1 gap`` its Mahalanobis length (``S`` the correlation
    matrix of the characteristics) and ``Z`` the number of blocks without a
    leaver. The gap terms are used only for the Table A3 outcome groups.
    Matching 21 univariate gaps alone can give a combination that the joint
    F-test of Table A3 flags (for example leavers younger but not less
    experienced); the ``D2`` term keeps the multivariate gap as small as the
    published joint p-values (0.40-0.76) suggest. The ``Z`` term keeps at
    least one leaver in every block so that leaver/stayer comparisons with
    block fixed effects (``coachbook.estimators.balance.joint_balance_test`` with the
    missing indicator as "treatment") are defined. The search stops when
    ``|b - beta| < 0.05 se`` and no swap improves the loss by more than 1%,
    or after ``iters`` swaps.
    """
    n = len(treat)
    b_target, se = beta
    denom = float(t_tilde @ treat)
    use_gap = x_std is not None
    sel = forced.copy()
    for arm, k in ((0, counts[0]), (1, counts[1])):
        in_arm = treat == arm
        need = k - int((sel & in_arm).sum())
        cand = np.flatnonzero(in_arm & pool & ~sel)
        score = latent[cand] + rng.gumbel(size=len(cand))
        sel[cand[np.argsort(-score, kind="stable")[:need]]] = True
    n_blocks = int(block_codes.max()) + 1 if use_gap else 0

    def loss_of(y):
        out = 25 * (((t_tilde @ y) / denom - b_target) / se) ** 2
        if use_gap:
            k = y.sum()
            d = (x_std.T @ y) / k - (x_std.T @ (1 - y)) / (n - k)
            out += np.sum((d - gap_target) ** 2) + MAHAL * d @ s_inv @ d
            out += 5 * np.sum(np.bincount(block_codes, weights=y, minlength=n_blocks) == 0)
        return out

    y = sel.astype(float)
    cur = loss_of(y)
    for _ in range(iters):
        best = (cur, None, None)
        for arm in (0, 1):
            outs = np.flatnonzero(sel & ~forced & (treat == arm))
            ins = np.flatnonzero(~sel & pool & (treat == arm))
            if len(outs) == 0 or len(ins) == 0:
                continue
            # every swap (i out, j in) at once
            b = (t_tilde @ y - t_tilde[outs][:, None] + t_tilde[ins][None, :]) / denom
            L = 25 * ((b - b_target) / se) ** 2
            if use_gap:
                k = y.sum()
                tot = x_std.sum(axis=0)
                ex = (x_std.T @ y)[None, None, :] - x_std[outs][:, None, :] + x_std[ins][None, :, :]
                d = ex / k - (tot[None, None, :] - ex) / (n - k)
                L = L + np.sum((d - gap_target) ** 2, axis=2)
                L = L + MAHAL * np.einsum("abk,kl,abl->ab", d, s_inv, d)
                cnt = np.bincount(block_codes, weights=y, minlength=n_blocks)
                bo, bi = block_codes[outs][:, None], block_codes[ins][None, :]
                zeros = (np.sum(cnt == 0) + ((cnt[bo] == 1) & (bo != bi))
                         - ((cnt[bi] == 0) & (bo != bi)))
                L = L + 5 * zeros
            i, j = np.unravel_index(np.argmin(L), L.shape)
            if L[i, j] < best[0]:
                best = (L[i, j], outs[i], ins[j])
        b_now = (t_tilde @ y) / denom
        if best[1] is None or (abs(b_now - b_target) < 0.05 * se and best[0] > 0.99 * cur):
            break
        sel[best[1]], sel[best[2]] = False, True
        y = sel.astype(float)
        cur = best[0]
    return sel


MAHAL = 0.10  # weight of the multivariate (Mahalanobis) gap penalty in _choose_set


def _status(df: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    n = len(df)
    treat = df["treatment"].to_numpy()
    t_tilde = _within_block_treat(df)
    x = df[A3_CHARACTERISTICS].to_numpy(dtype=float)
    x_std = (x - x.mean(axis=0)) / x.std(axis=0, ddof=1)
    sds = x.std(axis=0, ddof=1)
    gap = {g: np.array([(e - s) for s, e in v]) / sds for g, v in _A3.items()}
    s_inv = np.linalg.pinv(np.corrcoef(x_std, rowvar=False))
    codes = pd.factorize(df["block"], sort=True)[0]
    everyone = np.ones(n, dtype=bool)
    nobody = np.zeros(n, dtype=bool)

    def pick(name, forced, pool, latent, a3=True):
        return _choose_set(rng, treat, t_tilde, _MISSING[name], _MISSING_BETA[name], forced,
                           pool, latent, x_std if a3 else None, gap.get(name) if a3 else None,
                           s_inv, codes)

    younger = -(df["age"].to_numpy() - 41) / 9
    # Two teachers (1 C, 1 T) left before the implementation year began.
    pre = nobody.copy()
    for arm in (0, 1):
        cand = np.flatnonzero(treat == arm)
        pre[cand[np.argmax(younger[cand] + rng.gumbel(size=len(cand)))]] = True
    left = pick("left_district", pre, everyone, younger, a3=False)
    not_math = pick("not_math", left, everyone, younger + 0.5 * df["middle"].to_numpy())
    not_tested = pick("not_tested", not_math, everyone, 0.5 * df["middle"].to_numpy())
    # Implementation-year participation: 8 treated withdrawals (appendix:
    # 6 lack of time, 2 loss of interest) plus the treated pre-leaver make up
    # the 9 treated teachers without sessions; 6 control withdrawals (2 + 4).
    disengaged = 0.4 * df["behavior_challenges"].to_numpy() - 0.3 * df["openness_feedback"].to_numpy()
    withdrew = pre.copy()
    for arm, k in ((1, 8), (0, 6)):
        cand = np.flatnonzero((treat == arm) & ~pre)
        score = disengaged[cand] + rng.gumbel(size=len(cand))
        withdrew[cand[np.argsort(-score, kind="stable")[:k]]] = True
    refl1 = pick("reflection_y1", withdrew, everyone, disengaged, a3=False)
    amb1 = pick("ambitious_y1", pre, everyone, disengaged + 1.0 * withdrew, a3=False)
    state1 = pick("state_test_y1", pre, everyone, np.zeros(n), a3=False)
    interim1 = pick("interim_test_y1", pre, everyone, np.zeros(n), a3=False)
    nonresp = disengaged + rng.standard_normal(n)
    refl2 = pick("reflection_y2", not_math, everyone, nonresp + 0.5 * withdrew)
    mqi2 = pick("mqi_y2", not_math, everyone, nonresp + 1.0 * refl2)
    amb2 = pick("ambitious_y2", not_math, everyone, nonresp + 1.0 * mqi2)

    # teachers-file flag -> the set of teachers *without* it (in the file's column order)
    lacking = {
        "in_district_y1": pre, "in_district_y2": left, "teaches_math_y2": not_math,
        "teaches_math_tested_grade_y2": not_tested, "observed_reflection_y1": refl1,
        "observed_ambitious_y1": amb1, "observed_state_test_y1": state1,
        "observed_interim_test_y1": interim1, "observed_reflection_y2": refl2,
        "observed_mqi_y2": mqi2, "observed_ambitious_y2": amb2,
        "observed_state_test_y2": not_tested, "observed_interim_test_y2": not_math,
    }
    out = pd.DataFrame({flag: (~gone).astype(int) for flag, gone in lacking.items()}, index=df.index)
    return out, withdrew
