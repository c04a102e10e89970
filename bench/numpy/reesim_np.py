#!/usr/bin/python3
"""reesim_np: an independent numpy implementation of reesim's documented semantics, vectorised
over runs, for measuring reesim against it (issue 12).

Every state variable is an array of shape [runs]; Python loops run over months, phases and
entities only. Randomness comes from numpy's Generator (PCG64), so the streams differ from
reesim's and the two agree statistically, not bit for bit (bench/numpy/agree.py checks it).
Statistics: mean and sd (ddof 1) with numpy, quantiles exact with np.percentile (linear, i.e.
R type 7), computed month by month as the runs advance in lockstep.

Written from docs/engine.md, docs/models.md, docs/indicators.md, docs/statistics.md, the README's
scenario format and the header comments of models/*.c and engine/sim/run_step.c / run.c; no code
is shared with reesim. Models implemented: source, inventory (one pooled class), sector (one
pooled class, no price index), link, gate (no destination rules, filing_rules 0). A scenario
using anything else is refused with a message, never silently simplified.

Usage: reesim_np.py SCENARIO.yaml -n RUNS -o DIR [--seed S] [--runs-csv] [--bands]
                    [--scale ID.KEY=FACTOR ...]
Writes DIR/timeseries.csv, DIR/summary.csv (the indicators), optionally DIR/runs.csv and
DIR/bands.csv (order-statistic bands of each series quantile, for agree.py), and DIR/meta.json.
"""
import argparse
import fnmatch
import json
import math
import os
import sys
import time

import numpy as np
import yaml

WPM = 365.25 / 12 / 7  # weeks per month (REE_WEEKS_PER_MONTH)
DPM = 365.25 / 12  # days per month (REE_DAYS_PER_MONTH)
INF = math.inf
QS = [5, 25, 50, 75, 95]
MAX_T = 1e9  # REE_MAX_TONNES


class Unsupported(Exception):
    pass


# Parameter tables: key -> (default, kind, lo, hi). kind: num, int, date, matmap, material,
# matset, tagset; "ninf": null means +inf. lo/hi are the legal range (normal and lognormal are
# truncated to it). REQ marks a required parameter.
REQ = object()
SOURCE_P = {
    "output": (REQ, "matmap", 0, 1), "capacity": (REQ, "num", 0, MAX_T),
    "utilisation": (1.0, "num", 0, 1), "ramp_add": (0.0, "num", 0, MAX_T),
    "ramp_start": (0.0, "date", -INF, INF), "ramp_months": (12.0, "num", 0, 1200),
    "outage_prob": (0.0, "num", 0, 1), "outage_months": (2.0, "num", 1, 1200),
    "max_stock": (INF, "ninf", 0, MAX_T),
}
INVENTORY_P = {
    "material": (REQ, "material", 0, 0), "cover_weeks": (8.0, "num", 0, 520),
    "reorder_weeks": (INF, "ninf", 0, 520), "smoothing": (0.3, "num", 0, 1),
    "demand0": (0.0, "num", 0, MAX_T), "firm_classes": (1.0, "int", 1, 64),
    "cover_sd": (0.0, "num", 0, 520),
}
SECTOR_P = {
    "material": (REQ, "material", 0, 0), "demand": (REQ, "num", 0, MAX_T),
    "growth": (0.0, "num", -0.5, 2), "noise": (0.0, "num", 0, 1),
    "cover_weeks": (4.0, "num", 0, 520), "priority": (0.0, "int", 0, 10),
    "kg_per_unit": (REQ, "num", 1e-6, INF), "service_level": (0.95, "num", 0, 1),
    "sub_max": (0.0, "num", 0, 1), "sub_months": (12.0, "num", 0, 1200),
    "sub_trigger": (0.05, "num", 0, 1), "sub_revert_months": (36.0, "num", 0, 1200),
    "dd_max": (0.0, "num", 0, 1), "dd_elasticity": (0.0, "num", 0, INF),
    "shock_start": (0.0, "date", -INF, INF), "recover_months": (3.0, "int", 1, 1200),
    "firm_classes": (1.0, "int", 1, 64), "cover_sd": (0.0, "num", 0, 520),
    "stop_days": (1.0, "num", 0, DPM), "price_sub_elasticity": (0.0, "num", 0, 10),
    "price_dd_elasticity": (0.0, "num", 0, 10), "price_lag_months": (0.0, "num", 0, 1200),
}
PROCESSOR_P = {
    "inputs": (REQ, "matmap", 0, 1000), "output": (REQ, "material", 0, 0),
    "capacity": (REQ, "num", 0, MAX_T), "utilisation": (1.0, "num", 0, 1),
    "ramp_add": (0.0, "num", 0, MAX_T), "ramp_start": (0.0, "date", -INF, INF),
    "ramp_months": (12.0, "num", 0, 1200), "outage_prob": (0.0, "num", 0, 1),
    "outage_months": (2.0, "num", 1, 1200), "max_stock": (INF, "ninf", 0, MAX_T),
    "input_cover": (1.0, "num", 0, 1200), "delay": (0.0, "int", 0, 24),
    "price_util_elasticity": (0.0, "num", 0, 10), "price_lag_months": (0.0, "num", 0, 1200),
}
STOCKPILE_P = {
    "material": (REQ, "material", 0, 0), "release": (1.0, "num", 0, 1),
    "trigger": (0.0, "num", 0, 1), "max_release": (INF, "ninf", 0, MAX_T),
    "floor": (0.0, "num", 0, MAX_T), "target": (0.0, "num", 0, MAX_T),
    "refill_rate": (0.0, "num", 0, MAX_T),
}
RECYCLER_P = {
    "material": (REQ, "material", 0, 0), "feed": (REQ, "material", 0, 0),
    "collect": (0.01, "num", 0, 1), "lag_months": (0.0, "int", 0, 600),
    "eol0": (0.0, "num", 0, MAX_T), "yield": (0.9, "num", 0, 1),
    "capacity": (INF, "ninf", 0, MAX_T),
}
LINK_P = {
    "lead_time": (1.0, "num", 1, 120), "delay_prob": (0.0, "num", 0, 1),
    "delay_months": (1.0, "num", 0, 120), "share": (1.0, "num", 0, 1),
    "rank": (0.0, "int", 0, 9), "priority": (0.0, "int", 0, 10),
}
GATE_P = {
    "active": (1.0, "int", 0, 1), "covers": (REQ, "matset", 0, 0),
    "review_days": (63.0, "num", 0, 36525), "review_cv": (0.3, "num", 0, 10),
    "approval": (1.0, "num", 0, 1), "partial": (1.0, "num", 0, 1),
    "application_t": (5.0, "num", 0.001, MAX_T), "quota": (INF, "ninf", 0, MAX_T),
    "deny_end_use": (frozenset(), "tagset", 0, 0), "validity_months": (6.0, "int", 1, 1200),
    "filing_rules": (0.0, "int", 0, 1),
}


def month_index(s):
    """'YYYY-MM' -> months since year 0."""
    s = str(s)
    y, m = s.split("-")[:2]
    return int(y) * 12 + int(m) - 1


def date_str(mi):
    return "%04d-%02d" % (mi // 12, mi % 12 + 1)


def fmt(v):
    """A number as reesim writes it in CSV (%.10g)."""
    return "%.10g" % v


class Sampler:
    """Draws per-run values of `{dist: ...}` parameters by numpy's own generator."""

    def __init__(self, rng, n):
        self.rng, self.n = rng, n

    def truncated(self, draw, lo, hi):
        x = draw(self.n)
        bad = (x < lo) | (x > hi)
        while bad.any():
            x[bad] = draw(int(bad.sum()))
            bad = (x < lo) | (x > hi)
        return x

    def dist(self, d, lo, hi):
        k = d["dist"]
        r = self.rng
        if k == "uniform":
            return r.uniform(float(d["min"]), float(d["max"]), self.n)
        if k == "triangular":
            a, c, b = float(d["min"]), float(d["mode"]), float(d["max"])
            return r.triangular(a, c, b, self.n) if b > a else np.full(self.n, a)
        if k == "normal":
            lo, hi = max(lo, float(d.get("min", -INF))), min(hi, float(d.get("max", INF)))
            m, s = float(d["mean"]), float(d["sd"])
            return self.truncated(lambda k_: r.normal(m, s, k_), lo, hi)
        if k == "lognormal":
            lo, hi = max(lo, float(d.get("min", -INF))), min(hi, float(d.get("max", INF)))
            m, s = float(d["mean"]), float(d["sd"])
            s2 = math.log1p((s / m) ** 2)
            mu, sg = math.log(m) - s2 / 2, math.sqrt(s2)
            return self.truncated(lambda k_: r.lognormal(mu, sg, k_), lo, hi)
        if k == "beta":
            a, b = float(d["alpha"]), float(d["beta"])
            lo_, hi_ = float(d.get("min", 0)), float(d.get("max", 1))
            return lo_ + (hi_ - lo_) * r.beta(a, b, self.n)
        if k == "pert":  # Vose's PERT, lambda 4
            a, c, b = float(d["min"]), float(d["mode"]), float(d["max"])
            al = 1 + 4 * (c - a) / (b - a)
            be = 1 + 4 * (b - c) / (b - a)
            return a + (b - a) * r.beta(al, be, self.n)
        raise Unsupported("distribution kind %r" % k)


class Scenario:
    """The YAML scenario, read with PyYAML, with parameters resolved (sampled per run)."""

    def __init__(self, path, n, seed, scales):
        with open(path) as f:
            y = yaml.safe_load(f)
        self.y = y
        self.name = y.get("name") or os.path.splitext(os.path.basename(path))[0]
        self.start = month_index(y["horizon"]["start"])
        self.T = int(y["horizon"]["steps"])
        self.seed = int(y.get("seed", 1)) if seed is None else seed
        self.n = n
        for k in ("observations", "calibrate"):
            if y.get(k):
                raise Unsupported("scenario section %r" % k)
        self.mats = [m["id"] for m in y["materials"]]
        self.mi = {m: i for i, m in enumerate(self.mats)}
        self.rng = np.random.Generator(np.random.PCG64(self.seed))
        self.sampler = Sampler(self.rng, n)
        self.scales = scales
        self.nodes = y.get("nodes") or []
        self.links = y.get("links") or []
        self.gates = y.get("gates") or []
        self.tags = {}  # end-use tag -> bit

    def step_of(self, v):
        return float(month_index(v) - self.start)

    def tag(self, t):
        return self.tags.setdefault(str(t), len(self.tags))

    def value(self, table, key, v, eid):
        """One parameter's value: float, array [runs], frozenset, or a material map."""
        d, kind, lo, hi = table[key]
        if v is None:
            if kind == "ninf":
                return INF
            raise ValueError("%s.%s is null" % (eid, key))
        if kind == "matmap":
            out = np.zeros(len(self.mats))
            for m, x in v.items():
                out[self.mi[m]] = float(x)
            return out
        if kind == "material":
            return self.mi[v]
        if kind == "matset":
            return frozenset(self.mi[m] for m in v)
        if kind == "tagset":
            return frozenset(self.tag(t) for t in (v or []))
        if isinstance(v, dict):
            x = self.sampler.dist(v, lo, hi)
            if kind == "int":
                x = np.round(x)
            return x
        if kind == "date":
            return self.step_of(v)
        return float(v)

    def params(self, table, given, eid, extra_ok=()):
        p = {}
        for k in given:
            if k not in table and k not in extra_ok:
                raise Unsupported("parameter %s.%s" % (eid, k))
        for k, (d, kind, lo, hi) in table.items():
            if k in given:
                p[k] = self.value(table, k, given[k], eid)
            elif d is REQ:
                raise ValueError("%s: %s is required" % (eid, k))
            else:
                p[k] = d
            f = self.scales.get("%s.%s" % (eid, k))
            if f is not None:
                p[k] = p[k] * f
        return p


class Pairs(dict):
    """Arrays [runs] keyed by (node, material), zero until written: only the pairs a step
    touches are allocated (a dense nodes x materials x runs block would be mostly zeros)."""

    def __init__(self, n):
        super().__init__()
        self.n = n

    def __missing__(self, k):
        a = np.zeros(self.n)
        self[k] = a
        return a


class Positions:
    """Inventory positions, phase 4: stock + in transit on the inbound links + gate orders
    (pending, waiting or licensed) on the inbound gated links, computed when a hook asks."""

    def __init__(self, sim):
        self.sim = sim

    def __getitem__(self, k):
        sim = self.sim
        i, m = k
        pos = sim.stock[i, m].copy()
        for l in sim.inbound.get(k, ()):
            lk = sim.lk[l]
            pos += sim.transit[l]
            if lk.slot >= 0:
                pos += sim.gates[lk.gate].on_order[lk.slot]
        return pos


def const(x, what):
    """A parameter the implementation needs the same in every run."""
    if np.ndim(x) == 0:
        return float(x)
    if np.all(x == x[0]):
        return float(x[0])
    raise Unsupported("%s varying across runs" % what)


# ---------------------------------------------------------------------------------------------
# Node models. Each: metrics (name, unit), indicators (name, unit), reset(), and the hooks it has:
# produce(t), order(t), consume(t); finish() -> list of arrays [runs].


class Node:
    produce = order = consume = offer = None

    def __init__(self, sim, i, spec):
        self.sim, self.i, self.id = sim, i, spec["id"]
        self.region = spec.get("region")
        eu = spec.get("end_use")
        self.end_use = sim.sc.tag(eu) if eu is not None else -1


class Source(Node):
    model = "source"
    table = SOURCE_P
    metrics = [("capacity", "t/month"), ("production", "t"), ("outage", "1")]
    indicators = [("production", "t"), ("outage_months", "months")]

    def reset(self):
        n = self.sim.n
        self.down = np.zeros(n, bool)
        self.total = np.zeros(n)
        self.outm = np.zeros(n)
        self.outs = [m for m in range(self.sim.nm) if self.p["output"][m] > 0]

    def produce(self, t):
        p, sim = self.p, self.sim
        self.down = outage_step(sim, self.down, p)
        cap = ramped(p, t)
        held = 0
        for m in self.outs:
            held = held + sim.stock[self.i, m]
        room = p["max_stock"] - held
        room = np.where(room > 0, room, 0)
        prod = np.where(self.down, 0.0, cap * p["utilisation"])
        prod = np.minimum(prod, room)
        for m in self.outs:
            sim.stock[self.i, m] += prod * p["output"][m]
        self.total += prod
        self.outm += self.down
        self.met = [np.broadcast_to(cap, (sim.n,)), prod, self.down.astype(float)]

    def finish(self):
        return [self.total, self.outm]


class Inventory(Node):
    model = "inventory"
    table = INVENTORY_P
    metrics = [("forecast", "t/month"), ("target", "t"), ("cover_weeks", "weeks")]
    indicators = [("stockout_months", "months"), ("min_cover_weeks", "weeks")]

    def reset(self):
        n = self.sim.n
        if const(self.p["firm_classes"], "firm_classes") != 1:
            raise Unsupported("inventory firm_classes > 1 (%s)" % self.id)
        self.m = self.p["material"]
        self.f = np.zeros(n) + self.p["demand0"]
        self.stockout = np.zeros(n)
        self.mincover = np.full(n, INF)

    def order(self, t):
        p, sim, m = self.p, self.sim, self.m
        req = np.maximum(sim.requested[self.i, m], 0)
        if t > 0:
            self.f = p["smoothing"] * req + (1 - p["smoothing"]) * self.f
        f = self.f
        lead = sim.lead_in[self.i][m]
        target = f * (1 + lead + p["cover_weeks"] / WPM)
        pos = sim.position[self.i, m]
        rw = p["reorder_weeks"]
        if np.ndim(rw) == 0 and math.isinf(rw):
            q = target - pos
        else:
            rp = np.minimum(f * (1 + lead + rw / WPM), target)
            q = np.where(np.isinf(rw), target - pos, np.where(pos <= rp, target - pos, 0))
        sim.order[self.i, m] = np.maximum(q, 0)
        st = sim.stock[self.i, m]
        has = f > 1e-12
        cover = np.where(has, np.maximum(st, 0) / np.where(has, f, 1) * WPM, 0)
        self.mincover = np.where(has, np.minimum(self.mincover, cover), self.mincover)
        self.stockout += has & (st < 1e-9)
        self.met = [f, target, cover]

    def finish(self):
        return [self.stockout, np.where(np.isinf(self.mincover), 0, self.mincover)]


class Resil:
    """Resilience indicators of a need / use trajectory (docs/indicators.md), over runs."""

    def __init__(self, n, service_level, shock, recover):
        z = np.zeros
        self.sl, self.shock, self.rec = service_level, shock, recover
        self.short, self.need, self.lost = z(n), z(n), z(n)
        self.maxshare, self.maxshort, self.sumshare, self.months = z(n), z(n), z(n), z(n)
        self.first = np.full(n, -1.0)
        self.onset = np.full(n, -1.0)
        self.okfrom = np.full(n, -1.0)
        self.recovered = np.full(n, -1.0)

    def step(self, t, need, used, lost):
        sf = need - used
        share = np.where(need > 0, sf / np.where(need > 0, need, 1), 0)
        self.short += sf
        self.need += need
        self.lost += lost
        self.maxshare = np.maximum(self.maxshare, share)
        self.maxshort = np.maximum(self.maxshort, sf)
        self.sumshare += share
        short = used < self.sl * need
        self.months += short
        self.first = np.where(short & (self.first < 0), t, self.first)
        no_onset = self.onset < 0
        tracking = ~no_onset & (self.recovered < 0)
        self.onset = np.where(no_onset & short & (t >= self.shock), t, self.onset)
        okfrom = np.where(short, -1.0, np.where(self.okfrom < 0, t, self.okfrom))
        okfrom = np.where(tracking, okfrom, self.okfrom)
        rec = tracking & ~short & (t - okfrom + 1 >= self.rec)
        self.recovered = np.where(rec, okfrom, self.recovered)
        self.okfrom = okfrom

    def finish(self, T):
        return {
            "shortfall": self.short,
            "shortfall_share": np.where(self.need > 0, self.short / np.where(self.need > 0,
                                                                             self.need, 1), 0),
            "months_short": self.months,
            "max_shortfall_share": self.maxshare,
            "lost_units": self.lost,
            "first_short_month": np.where(self.first >= 0, self.first, T),
            "max_shortfall": self.maxshort,
            "depth_duration": self.sumshare,
            "onset_lag": np.where(self.onset >= 0, self.onset - self.shock, T),
            "time_to_recover": np.where(self.onset < 0, 0,
                                        np.where(self.recovered >= 0,
                                                 self.recovered - self.onset, T - self.onset)),
        }


RESIL_NAMES = [("shortfall", "t"), ("shortfall_share", "1"), ("months_short", "months"),
               ("max_shortfall_share", "1"), ("lost_units", "units"),
               ("first_short_month", "months"), ("max_shortfall", "t"),
               ("depth_duration", "months"), ("onset_lag", "months"),
               ("time_to_recover", "months")]
# Region totals (docs/indicators.md): the same formulas, without first_short_month.
REGION_NAMES = [x for x in RESIL_NAMES if x[0] != "first_short_month"]


class Sector(Node):
    model = "sector"
    table = SECTOR_P
    metrics = [("demand", "t"), ("need", "t"), ("consumed", "t"), ("shortfall", "t"),
               ("shortfall_share", "1"), ("substitution", "1"), ("destroyed", "t"),
               ("lost_units", "units"), ("firms_stopped", "1")]
    indicators = RESIL_NAMES + [("first_stop_month", "months"), ("time_to_first_stop", "months"),
                                ("firm_months_stopped", "months"), ("max_firms_stopped", "1")]

    def reset(self):
        p, n = self.p, self.sim.n
        if const(p["firm_classes"], "firm_classes") != 1:
            raise Unsupported("sector firm_classes > 1 (%s)" % self.id)
        for k in ("price_sub_elasticity", "price_dd_elasticity"):
            if np.any(p[k] != 0):
                raise Unsupported("sector %s (price index) in %s" % (k, self.id))
        self.m = p["material"]
        self.shock = np.ceil(p["shock_start"])
        self.resil = Resil(n, p["service_level"], self.shock, p["recover_months"])
        z = np.zeros
        self.sub, self.share = z(n), z(n)
        self.first_stop = np.full(n, -1.0)
        self.first_after = np.full(n, -1.0)
        self.firm_months, self.max_stopped = z(n), z(n)
        # the growth path: G = g0 (1 + rate)^((t - t0)/12), rebased when growth changes
        self.g0, self.t0 = np.ones(n), z(n)
        self.g_rate = p["growth"] + z(n)

    @staticmethod
    def rate(months):
        return np.where(months > 1, 1 / np.maximum(months, 1), 1.0)

    def order(self, t):
        p, sim, m = self.p, self.sim, self.m
        noise = p["noise"]
        if np.any(noise != 0):
            z = sim.rng.standard_normal(sim.n)
            factor = np.exp(noise * z - noise * noise / 2)
        else:
            factor = 1.0
        # A changed growth (timeline, regime) compounds from the level reached: the old path's
        # value at t becomes the new path's start (docs/models.md, sector).
        g = p["growth"] + np.zeros(sim.n)
        ch = g != self.g_rate
        if np.any(ch):
            old = 1 + self.g_rate
            at = np.where(old == 1, 1.0, np.power(old, (t - self.t0) / 12.0))
            self.g0 = np.where(ch, self.g0 * at, self.g0)
            self.t0 = np.where(ch, float(t), self.t0)
            self.g_rate = np.where(ch, g, self.g_rate)
        base = 1 + self.g_rate
        grown = self.g0 * np.where(base == 1, 1.0, np.power(base, (t - self.t0) / 12.0))
        self.demand_t = p["demand"] * grown * factor + np.zeros(sim.n)
        # no price index: the lagged price stays 1, ln = 0, so the price-led target is 0
        trig = self.share > p["sub_trigger"]
        self.sub = np.where(trig, self.sub + (p["sub_max"] - self.sub) * self.rate(p["sub_months"]),
                            self.sub - self.sub * self.rate(p["sub_revert_months"]))
        sc = sim.scarcity[m]
        dd = np.minimum(p["dd_elasticity"] * np.maximum(sc, 0), p["dd_max"])
        kept = self.demand_t * (1 - self.sub)
        self.destroyed = kept * dd
        self.need = kept * (1 - dd)
        lead = sim.lead_in[self.i][m]
        q = self.need * (1 + lead + p["cover_weeks"] / WPM) - sim.position[self.i, m]
        sim.order[self.i, m] = np.maximum(q, 0)

    def consume(self, t):
        p, sim, m, n = self.p, self.sim, self.m, self.sim.n
        stock = np.maximum(sim.stock[self.i, m], 0)
        need = self.need
        used = np.minimum(stock, need)
        sf = need - used
        lost = sf * 1000 / p["kg_per_unit"]
        stop = np.where(need > 0, sf / np.where(need > 0, need, 1), 0)
        stopped = (stop > 1e-9) & (stop * DPM >= p["stop_days"])
        months = np.where(stopped, stop, 0)
        sim.stock[self.i, m] -= used
        self.share = stop
        st = stopped.astype(float)
        self.first_stop = np.where(stopped & (self.first_stop < 0), t, self.first_stop)
        self.first_after = np.where(stopped & (self.first_after < 0) & (t >= self.shock), t,
                                    self.first_after)
        self.firm_months += months
        self.max_stopped = np.maximum(self.max_stopped, st)
        self.resil.step(t, need, used, lost)
        self.used, self.sf, self.lost = used, sf, lost
        self.met = [self.demand_t, need, used, sf, stop, self.sub + np.zeros(n), self.destroyed,
                    lost, st]

    def finish(self):
        T = self.sim.T
        r = self.resil.finish(T)
        return [r[k] for k, _ in RESIL_NAMES] + [
            np.where(self.first_stop >= 0, self.first_stop, T),
            np.where(self.first_after >= 0, self.first_after - self.shock, T),
            self.firm_months, self.max_stopped]


def outage_step(sim, down, p):
    """The two-state outage chain of source and processor: the transition, before producing."""
    q = np.where(down, 1.0 / p["outage_months"], p["outage_prob"])
    mid = (q > 0) & (q < 1)
    if mid.any():
        u = sim.rng.random(sim.n)
        change = np.where(mid, u < q, q >= 1)
    else:
        change = q >= 1
    return down ^ change


def ramped(p, t):
    rm, rs = p["ramp_months"], p["ramp_start"]
    f = np.where(rm > 0, np.clip((t - rs) / np.where(rm > 0, rm, 1), 0, 1),
                 np.where(t >= rs, 1.0, 0.0))
    return np.maximum(p["capacity"] + p["ramp_add"] * f, 0)


class Processor(Node):
    model = "processor"
    table = PROCESSOR_P
    metrics = [("capacity", "t/month"), ("production", "t"), ("input_limited", "1"),
               ("outage", "1"), ("wip", "t")]
    indicators = [("production", "t"), ("input_limited_months", "months")]

    def reset(self):
        p, n = self.p, self.sim.n
        if np.any(p["price_util_elasticity"] != 0):
            raise Unsupported("processor price response (%s)" % self.id)
        self.d = int(const(p["delay"], "processor delay"))
        self.ins = [m for m in range(self.sim.nm) if p["inputs"][m] > 0]
        self.out = p["output"]
        self.down = np.zeros(n, bool)
        self.ring = [np.zeros(n) for _ in range(self.d)]  # started d, d-1, ..., 1 steps ago
        self.wip = np.zeros(n)
        self.total, self.limited = np.zeros(n), np.zeros(n)

    def produce(self, t):
        p, sim, i = self.p, self.sim, self.i
        self.down = outage_step(sim, self.down, p)
        cap = ramped(p, t) + np.zeros(sim.n)
        rate = cap * p["utilisation"]
        avail = np.where(self.down, 0.0, rate)
        by_input = np.full(sim.n, INF)
        for m in self.ins:
            by_input = np.minimum(by_input, np.maximum(sim.stock[i, m], 0) / p["inputs"][m])
        if not self.ins:
            by_input = np.zeros(sim.n)
        room = p["max_stock"] - sim.stock[i, self.out] - self.wip
        room = np.where(room > 0, room, 0)
        started = np.minimum(np.minimum(avail, by_input), room)
        lim = ((by_input < avail - 1e-12) & (by_input <= room)).astype(float)
        for m in self.ins:
            sim.stock[i, m] -= np.minimum(started * p["inputs"][m], np.maximum(sim.stock[i, m], 0))
        if self.d == 0:
            done = started
        else:
            done = self.ring.pop(0)
            self.ring.append(started)
        sim.stock[i, self.out] += done
        self.wip = sum(self.ring) if self.d else np.zeros(sim.n)
        self.total += done
        self.limited += lim
        self.rate = rate
        self.met = [cap, done, lim, self.down.astype(float), self.wip]

    def order(self, t):
        p, sim = self.p, self.sim
        for m in self.ins:
            lead = sim.lead_in[self.i][m]
            want = (1 + lead + p["input_cover"]) * self.rate * p["inputs"][m] - sim.position[self.i, m]
            sim.order[self.i, m] = np.maximum(want, 0)

    def finish(self):
        return [self.total, self.limited]


class Stockpile(Node):
    model = "stockpile"
    table = STOCKPILE_P
    metrics = [("level", "t"), ("releasing", "1"), ("exhausted", "1")]
    indicators = [("min_level", "t"), ("exhausted", "1"), ("exhausted_month", "months")]

    def reset(self):
        n = self.sim.n
        self.m = self.p["material"]
        self.releasing = np.zeros(n, bool)
        self.filled = np.zeros(n, bool)
        self.ever = np.zeros(n, bool)
        self.first = np.full(n, -1.0)
        self.minlevel = np.full(n, INF)

    def order(self, t):
        p, sim, m = self.p, self.sim, self.m
        sc = sim.scarcity[m]
        trig = (sc >= p["trigger"]) & (sc > 0)
        still = self.releasing & (sim.requested[self.i, m] > 0)
        self.releasing = (np.asarray(p["release"]) > 0.5) & (trig | still)
        gap = p["target"] - sim.position[self.i, m]
        gap = np.where(gap > 0, gap, 0)
        sim.order[self.i, m] = np.where(self.releasing | (sc > 0), 0,
                                        np.minimum(gap, p["refill_rate"]))
        level = np.maximum(sim.stock[self.i, m], 0)
        self.minlevel = np.minimum(self.minlevel, level)
        self.filled |= level > p["floor"] + 1e-9
        ex = self.filled & (level <= p["floor"] + 1e-9)
        self.first = np.where(ex & ~self.ever, t, self.first)
        self.ever |= ex
        self.met = [level, self.releasing.astype(float), ex.astype(float)]

    def offer(self, offer):
        p, sim, m = self.p, self.sim, self.m
        for (i, mm) in list(offer):
            if i == self.i:
                offer[i, mm] = np.zeros(sim.n)
        q = sim.stock[self.i, m] - p["floor"]
        q = np.where(q > 0, q, 0)
        offer[self.i, m] = np.where(self.releasing, np.minimum(q, p["max_release"]), 0)

    def finish(self):
        T = self.sim.T
        return [np.where(np.isinf(self.minlevel), 0, self.minlevel), self.ever.astype(float),
                np.where(self.ever, self.first, T)]


class Recycler(Node):
    model = "recycler"
    table = RECYCLER_P
    metrics = [("collected", "t"), ("recovered", "t")]
    indicators = [("recovered", "t")]

    def reset(self):
        self.total = np.zeros(self.sim.n)
        self.lag = max(1, int(const(self.p["lag_months"], "recycler lag_months")))

    def produce(self, t):
        p, sim = self.p, self.sim
        src = t - self.lag
        if src >= 0:
            eol = sim.history[src].get(p["feed"], np.zeros(sim.n))
        else:
            eol = p["eol0"] + np.zeros(sim.n)
        eol = np.where(eol > 0, eol, 0)
        col = p["collect"] * eol
        rec = np.minimum(p["yield"] * col, p["capacity"])
        sim.stock[self.i, p["material"]] += rec
        self.total += rec
        self.met = [col, rec]

    def finish(self):
        return [self.total]


NODE_MODELS = {"source": Source, "inventory": Inventory, "sector": Sector,
               "processor": Processor, "stockpile": Stockpile, "recycler": Recycler}

# ---------------------------------------------------------------------------------------------
# Gate (models/gate.c header): review queue, binomial approval, quota, end-use denial, expiry.


class Gate:
    metrics = [("applications", "t"), ("approved", "t"), ("denied", "t"), ("expired", "t"),
               ("backlog", "t"), ("licensed", "t"), ("approval_rate", "1"),
               ("mean_wait", "months")]
    indicators = [("applied", "t"), ("approved", "t"), ("denied", "t"), ("expired", "t"),
                  ("approval_share", "1"), ("mean_wait", "months"), ("max_backlog", "t")]

    def __init__(self, sim, spec):
        self.sim, self.id = sim, spec["id"]
        if spec.get("rules"):
            raise Unsupported("gate rules (%s)" % self.id)
        self.links = []  # link indices, in link order (the gate's slots)

    def reset(self):
        sim, n, T, nl = self.sim, self.sim.n, self.sim.T, len(self.links)
        if const(self.p["filing_rules"], "filing_rules") >= 0.5:
            raise Unsupported("gate filing_rules 1 (%s)" % self.id)
        z = np.zeros
        self.pend, self.pend_w = z((T + 1, nl, n)), z((T + 1, nl, n))
        self.wait, self.wait_w = z((T, nl, n)), z((T, nl, n))
        self.lic = z((T, nl, n))
        self.pend_tot, self.wait_tot, self.lic_tot = z((nl, n)), z((nl, n)), z((nl, n))
        self.lic_lo, self.wait_lo, self.pend_hi = 0, 0, -1
        self.s_applied, self.s_granted, self.s_denied, self.s_expired = z(n), z(n), z(n), z(n)
        self.s_ok, self.s_wait, self.max_backlog = z(n), z(n), z(n)
        self.mat = [sim.lk[l].mat for l in self.links]
        self.end_use = [sim.nodes[sim.lk[l].to].end_use for l in self.links]
        self.licensed = z((nl, n))
        self.on_order = z((nl, n))
        self.granted = z((nl, n))

    def grant(self, t, j, q, entry):
        ok = q > 0
        q = np.where(ok, q, 0)
        self.lic[t, j] += q
        self.lic_tot[j] += q
        self.f_granted += q
        self.granted[j] += q
        self.f_wait += np.where(ok, q * np.maximum(t - entry, 0), 0)

    def grant_all(self, t, q, entry):
        """grant() for every link at once: q and entry [links, runs]; the month's totals are
        summed link by link, in link order, as grant() does. q >= 0 (a share of a waiting
        row), so grant()'s masks of q > 0 change nothing here; entry is overwritten."""
        self.lic[t] += q
        self.lic_tot += q
        self.granted += q
        w = entry
        np.subtract(t, entry, out=w)
        np.maximum(w, 0, out=w)
        np.multiply(w, q, out=w)
        for j in range(len(self.links)):
            self.f_granted += q[j]
            self.f_wait += w[j]

    def decide(self, t, applied):
        p, sim, n = self.p, self.sim, self.sim.n
        nl, T = len(self.links), sim.T
        z = np.zeros
        self.granted[:] = 0
        self.f_granted, self.f_wait = z(n), z(n)
        f_applied, f_denied, f_expired, f_ok = z(n), z(n), z(n), z(n)
        active = const(p["active"], "gate active") >= 0.5
        if not active:  # (1) release everything pending or waiting
            for d in range(t, self.pend_hi + 1):
                for j in range(nl):
                    q = self.pend[d, j]
                    self.grant(t, j, q, self.pend_w[d, j] / np.where(q > 0, q, 1))
                    f_ok += np.where(q > 0, q, 0)
                self.pend[d] = 0
                self.pend_w[d] = 0
            self.pend_hi = -1
            self.pend_tot[:] = 0
            for m in range(self.wait_lo, t):
                for j in range(nl):
                    q = self.wait[m, j]
                    self.grant(t, j, q, self.wait_w[m, j] / np.where(q > 0, q, 1))
                self.wait[m] = 0
                self.wait_w[m] = 0
            self.wait_lo = t
            self.wait_tot[:] = 0
        # (2) expiry: licences granted at g <= t - V
        V = int(max(1, const(p["validity_months"], "validity_months")))
        last = t - V
        for g in range(self.lic_lo, last + 1):
            f_expired += self.lic[g].sum(0)
            self.lic_tot = np.maximum(self.lic_tot - self.lic[g], 0)
            self.lic[g] = 0
        self.lic_lo = max(self.lic_lo, last + 1)
        # (3) entry
        cv = p["review_cv"]
        base = np.maximum(p["review_days"], 0) / DPM
        for j in range(nl):
            q = np.maximum(applied[j], 0)
            f_applied += q
            if not active or self.mat[j] not in p["covers"]:
                self.grant(t, j, q, t)
                f_ok += q
                continue
            z_ = sim.rng.standard_normal(n)
            if np.any(cv > 0):
                s2 = np.log1p(cv * cv)
                mo = np.where(cv > 0, base * np.exp(np.sqrt(s2) * z_ - 0.5 * s2), base)
            else:
                mo = base + np.zeros(n)
            self.enter(t, j, q, mo)
        if active:
            self.decide_due(t, f_denied, f_ok)  # (4)
            self.quota(t)  # (5)
        # (6)
        self.licensed = self.lic_tot.copy()
        self.on_order = self.pend_tot + self.wait_tot + self.lic_tot
        backlog = (self.pend_tot + self.wait_tot).sum(0)
        opened = self.lic_tot.sum(0)
        dec = f_ok + f_denied
        g = self.f_granted
        self.met = [f_applied, g, f_denied, f_expired, backlog, opened,
                    np.where(dec > 0, f_ok / np.where(dec > 0, dec, 1), 0),
                    np.where(g > 0, self.f_wait / np.where(g > 0, g, 1), 0)]
        self.s_applied += f_applied
        self.s_granted += g
        self.s_denied += f_denied
        self.s_expired += f_expired
        self.s_ok += f_ok
        self.s_wait += self.f_wait
        self.max_backlog = np.maximum(self.max_backlog, backlog)

    def enter(self, t, j, q, mo):
        T, n = self.sim.T, self.sim.n
        ar = self.sim.ar
        mo = np.where(mo >= 0, mo, 0)
        never = ~(t + mo < T)
        fl = np.floor(np.where(never, 0, mo))
        fr = np.where(never, 0, mo - fl)
        d0 = np.where(never, T, t + fl).astype(np.int64)
        d1 = np.minimum(d0 + 1, T)
        qa = q * (1 - fr)
        qb = q * fr
        nl = len(self.links)
        i0 = (d0 * nl + j) * n + ar  # flat indices into [T + 1, links, runs]: one pass each
        i1 = (d1 * nl + j) * n + ar
        pend, pend_w = self.pend.reshape(-1), self.pend_w.reshape(-1)
        pend[i0] += qa
        pend_w[i0] += qa * t
        pend[i1] += qb
        pend_w[i1] += qb * t
        self.pend_tot[j] += q
        self.pend_hi = max(self.pend_hi, int(d1.max()))

    def decide_due(self, t, f_denied, f_ok):
        p, sim, n = self.p, self.sim, self.sim.n
        ap = p["approval"]
        part = p["partial"]
        apt = p["application_t"]
        deny = p["deny_end_use"]
        for j in range(len(self.links)):
            # month t's row of the review queue is read here and never again (entries go to
            # months >= t, and a release on deactivation starts at its own month): no copy
            q = self.pend[t, j]
            qw = self.pend_w[t, j]
            has = q > 0
            if not has.any():
                continue
            if self.end_use[j] >= 0 and self.end_use[j] in deny:
                ok = np.zeros(n)
            else:
                if np.all(ap <= 0):
                    share = 0.0
                elif np.all(ap >= 1):
                    share = 1.0
                else:
                    x = q / apt
                    k0 = np.floor(x)
                    nn = np.where(x - k0 >= 0.5, k0 + 1, k0)  # round half up (positive)
                    nn = np.minimum(np.maximum(nn, 1), 1e9)
                    k = sim.rng.binomial(nn.astype(np.int64), np.minimum(np.maximum(ap, 0), 1))
                    share = np.where(ap <= 0, 0.0, np.where(ap >= 1, 1.0, k / nn))
                # q >= 0 (entries are clamped at 0), so ok is 0 wherever q is
                ok = q * share * part
                np.maximum(ok, 0, out=ok)
                np.minimum(ok, q, out=ok)
            pt = self.pend_tot[j]
            np.subtract(pt, q, out=pt)
            np.maximum(pt, 0, out=pt)
            f_denied += q - ok
            f_ok += ok
            pos = ok > 0
            self.wait[t, j] += ok
            self.wait_w[t, j] += np.where(pos, ok * (qw / np.where(has, q, 1)), 0)
            self.wait_tot[j] += ok

    def quota(self, t):
        n = self.sim.n
        left = np.zeros(n) + np.maximum(self.p["quota"], 0)
        for m in range(self.wait_lo, t + 1):
            row, roww = self.wait[m], self.wait_w[m]
            total = row.sum(0)
            if not (total > 0).any():
                continue
            fits = total <= left
            share = np.where(fits, 1.0, left / np.where(total > 0, total, 1))
            left = np.where(fits, left - total, 0)
            # all links at once ([links, runs]); share is exactly 1 where the month is served in
            # full (left / total < 1 otherwise), so row * share is the row itself there, and the
            # row and its weights become exactly 0
            pos = row > 0
            g = row * share
            self.grant_all(t, g, roww / np.where(pos, row, 1))
            np.subtract(self.wait_tot, g, out=self.wait_tot)  # g is 0 where row is
            np.maximum(self.wait_tot, 0, out=self.wait_tot)
            np.subtract(row, g, out=row)
            np.multiply(roww, 1 - share, out=roww)
        while self.wait_lo <= t and not self.wait[self.wait_lo].any():
            self.wait_lo += 1

    def ship(self, t, shipped):
        for j, l in enumerate(self.links):
            need = np.maximum(shipped[l], 0)
            opened = 0
            for g in range(self.lic_lo, t + 1):
                c = self.lic[g, j]
                use = np.minimum(c, need)
                c -= use
                need = need - use
                opened = opened + c
            self.lic_tot[j] = opened
            self.on_order[j] = self.pend_tot[j] + self.wait_tot[j] + opened

    def finish(self):
        dec = self.s_ok + self.s_denied
        g = self.s_granted
        return [self.s_applied, g, self.s_denied, self.s_expired,
                np.where(dec > 0, self.s_ok / np.where(dec > 0, dec, 1), 0),
                np.where(g > 0, self.s_wait / np.where(g > 0, g, 1), 0), self.max_backlog]


class Link:
    def __init__(self, sim, i, spec):
        self.i = i
        self.frm = sim.node_ix[spec["from"]]
        self.to = sim.node_ix[spec["to"]]
        self.mat = sim.sc.mi[spec["material"]]
        self.id = spec.get("id") or "%s->%s" % (spec["from"], spec["to"])
        self.gate = spec.get("gate")
        self.slot = -1


# ---------------------------------------------------------------------------------------------


class Sim:
    def __init__(self, sc):
        self.sc, self.n, self.T, self.rng = sc, sc.n, sc.T, sc.rng
        self.ar = np.arange(self.n)
        self.nm = len(sc.mats)
        self.node_ix = {d["id"]: i for i, d in enumerate(sc.nodes)}
        self.nodes = []
        for i, d in enumerate(sc.nodes):
            cls = NODE_MODELS.get(d["model"])
            if cls is None:
                raise Unsupported("model %r (node %s)" % (d["model"], d["id"]))
            self.nodes.append(cls(self, i, d))
        self.lk = [Link(self, i, d) for i, d in enumerate(sc.links)]
        self.gates = [Gate(self, d) for d in sc.gates]
        gix = {g.id: k for k, g in enumerate(self.gates)}
        for k in self.lk:
            if k.gate is not None:
                g = self.gates[gix[k.gate]]
                k.gate, k.slot = gix[k.gate], len(g.links)
                g.links.append(k.i)
            else:
                k.gate = -1
        self.ent = {}  # id -> (kind, object)
        for o in self.nodes:
            self.ent[o.id] = o
        for o in self.lk:
            self.ent[o.id] = o
        for o in self.gates:
            self.ent[o.id] = o
        # the materials each node holds: its initial stock, its links' material, its model's
        for o, d in zip(self.nodes, sc.nodes):
            held = set()
            for m, v in (d.get("stock") or {}).items():
                if float(v) > 0:
                    held.add(sc.mi[m])
            p = d.get("params") or {}
            if "output" in p and isinstance(p["output"], dict):
                held |= {sc.mi[m] for m, v in p["output"].items() if float(v) > 0}
            elif "output" in p:
                held.add(sc.mi[p["output"]])
            if isinstance(p.get("inputs"), dict):
                held |= {sc.mi[m] for m, v in p["inputs"].items() if float(v) > 0}
            if "material" in p:
                held.add(sc.mi[p["material"]])
            o.held = held
        for k in self.lk:
            self.nodes[k.frm].held.add(k.mat)
            self.nodes[k.to].held.add(k.mat)
        self.events = []
        for ev in sc.y.get("timeline") or []:
            if "effective" in ev:
                raise Unsupported("timeline 'effective'")
            self.events.append((sc.step_of(ev["date"]), ev["set"]))
        self.regimes_setup()
        self.series_setup()

    # --- parameters ------------------------------------------------------------------------
    def resolve(self, eid, key):
        return self.ent[eid]

    def set_param(self, path, v):
        parts = str(path).split(".")
        if parts[0] in ("nodes", "links", "gates") and len(parts) >= 3:
            parts = parts[1:]
        if len(parts) == 3 and parts[1] == "params":
            parts = [parts[0], parts[2]]
        eid, key = parts[0], parts[1]
        o = self.ent[eid]
        o.base[key] = self.sc.value(o.table, key, v, eid)
        if isinstance(o, Link):
            self.links_dirty = True

    def reset(self):
        sc, n, nm = self.sc, self.n, self.nm
        for o, d in zip(self.nodes, sc.nodes):
            o.table = o.table
            o.p = sc.params(o.table, d.get("params") or {}, o.id)
        for o, d in zip(self.lk, sc.links):
            o.table = LINK_P
            given = {k: v for k, v in d.items() if k in LINK_P}
            o.p = sc.params(LINK_P, given, o.id)
            dest = self.nodes[o.to]
            if "priority" not in d and "priority" in dest.table:
                pd = (dest.table and (sc.nodes[dest.i].get("params") or {}).get("priority"))
                if pd is not None:
                    o.p["priority"] = sc.value(SECTOR_P, "priority", pd, o.id)
        for o, d in zip(self.gates, sc.gates):
            o.table = GATE_P
            given = {k: v for k, v in d.items() if k not in ("id", "rules")}
            o.p = sc.params(GATE_P, given, o.id)
        for o in self.nodes + self.lk + self.gates:
            o.base = o.p
        # regime overrides, sampled once per run when uncertain
        self.reg_vals = [[(self.ent[e], k, sc.value(self.ent[e].table, k, v, e))
                          for e, k, v in st["set"]] for st in self.reg_states]
        for st in self.reg_vals:
            for o, k, v in st:
                if o.table[k][1] in ("matmap", "material", "matset", "tagset"):
                    raise Unsupported("a regime setting %s.%s" % (o.id, k))
        self.regime = np.full(n, -1)
        # step 0's policy: events dated at or before the start, in file order, the regime's
        # initial state when it starts then; then the link structure
        self.links_dirty = True
        self.next_event = 0
        self.policy(0)
        for o in self.nodes:
            o.reset()
        for g in self.gates:
            g.reset()
        z = np.zeros
        self.stock = z((len(self.nodes), nm, n))
        for o, d in zip(self.nodes, sc.nodes):
            for m, v in (d.get("stock") or {}).items():
                self.stock[o.i, sc.mi[m]] = float(v)
        nl = len(self.lk)
        self.requested = Pairs(n)
        self.requested_now = Pairs(n)
        self.scarcity = z((nm, n))
        # pipelines: a ring of R months per link, enough for the longest lead time plus delay
        # (arrivals past the horizon are written to slots never read again)
        longest = 1.0
        for k in self.lk:
            longest = max(longest, float(np.max(k.lead)) + float(np.max(k.p["delay_months"])))
        self.R = int(math.floor(longest)) + 2
        self.pipe = z((nl, self.R, n))
        self.transit = z((nl, n))
        self.fallback = z((nl, n))
        self.shipped = z((nl, n))
        self.history = []
        self.regions_reset()

    def regimes_setup(self):
        rg = self.sc.y.get("regimes")
        self.reg_states = []
        if not rg:
            return
        sts = rg["states"]
        ids = [st["id"] for st in sts]
        self.reg_start = self.sc.step_of(rg["start"]) if "start" in rg else 0.0
        self.reg_initial = ids.index(rg["initial"]) if "initial" in rg else 0
        S = len(ids)
        to = np.zeros((S, S))
        for i, st in enumerate(sts):
            for j, pr in (st.get("to") or {}).items():
                to[i, ids.index(j)] = float(pr)
        self.reg_cum = np.cumsum(to, axis=1)
        self.reg_ids = ids
        for st in sts:
            ch = []
            for k, v in (st.get("set") or {}).items():
                parts = str(k).split(".")
                if parts[0] in ("nodes", "links", "gates") and len(parts) >= 3:
                    parts = parts[1:]
                ch.append((parts[0], parts[-1], v))
            self.reg_states.append({"set": ch})
        self.reg_touched = {e for st in self.reg_states for e, _, _ in st["set"]}

    def policy(self, t):
        """Phase 2: timeline events dated t (at reset: dated at or before the start), the
        regime's transition, the effective parameters (base with the state's overrides)."""
        self.apply_events(t)
        if self.reg_states and t >= self.reg_start:
            if t == self.reg_start:
                self.regime = np.full(self.n, self.reg_initial)
            elif t > self.reg_start:
                u = self.rng.random(self.n)
                hit = u[:, None] < self.reg_cum[self.regime]
                self.regime = np.where(hit.any(1), hit.argmax(1), self.regime)
        for o in self.nodes + self.lk + self.gates:
            o.p = o.base
        if self.reg_states:
            for e in self.reg_touched:
                o = self.ent[e]
                o.p = dict(o.base)
                if isinstance(o, Link):
                    self.links_dirty = True
            for s_, st in enumerate(self.reg_vals):
                for o, k, v in st:
                    o.p[k] = np.where(self.regime == s_, v, o.p[k])
        self.link_struct()

    def apply_events(self, t):
        while self.next_event < len(self.events) and self.events[self.next_event][0] <= t:
            for k, v in self.events[self.next_event][1].items():
                self.set_param(k, v)
            self.next_event += 1

    def link_struct(self):
        """Ranks, normalised shares and each node's rank-0 lead time (docs/models.md, link)."""
        if not self.links_dirty:
            return
        self.links_dirty = False
        nm = self.nm
        for k in self.lk:
            k.rank = int(const(k.p["rank"], "link rank"))
            k.prio = const(k.p["priority"], "link priority")
            lead = k.p["lead_time"]
            k.lead = lead
        for k in self.lk:
            s = 0
            for j in self.lk:
                if j.to == k.to and j.mat == k.mat and j.rank == k.rank:
                    s = s + j.p["share"]
            k.share = np.where(np.asarray(s) > 0, k.p["share"] / np.where(np.asarray(s) > 0, s, 1), 0)
            if np.ndim(k.share) == 0:
                k.share = float(k.share)
        self.lead_in = [[0.0] * nm for _ in self.nodes]
        for k in self.lk:
            if k.rank == 0:
                self.lead_in[k.to][k.mat] = self.lead_in[k.to][k.mat] + k.share * np.maximum(1, k.lead)
        self.senders = sorted({(k.frm, k.mat) for k in self.lk})
        self.inbound = {}
        for k in self.lk:
            self.inbound.setdefault((k.to, k.mat), []).append(k.i)
        self.maxrank = max([k.rank for k in self.lk] + [0])
        self.rank_links = [[k.i for k in self.lk if k.rank == r] for r in range(self.maxrank + 1)]
        # per rank: sender (node, material) -> priority groups (highest first), file order
        self.alloc = []
        for r in range(self.maxrank + 1):
            pairs = {}
            for l in self.rank_links[r]:
                k = self.lk[l]
                pairs.setdefault((k.frm, k.mat), []).append(l)
            groups = {}
            for pr, ls in pairs.items():
                prios = sorted({self.lk[l].prio for l in ls}, reverse=True)
                groups[pr] = [[l for l in ls if self.lk[l].prio == q] for q in prios]
            self.alloc.append(groups)

    # --- regions ----------------------------------------------------------------------------
    def regions_reset(self):
        if not hasattr(self, "regions"):
            self.regions = []
            seen = set()
            secs = [o for o in self.nodes if isinstance(o, Sector) and o.region]
            for o in secs:
                if o.region in seen:
                    continue
                seen.add(o.region)
                mem = [s for s in secs if s.region == o.region]
                if len(mem) < 2 or o.region in self.ent:
                    continue
                kg = [self.sc.nodes[s.i].get("params", {}).get("kg_per_unit") for s in mem]
                same = all(not isinstance(x, dict) for x in kg) and len({float(x) for x in kg}) == 1
                self.regions.append((o.region, mem, same))
        self.region_acc = []
        for reg, mem, same in self.regions:
            sls = [s.p["service_level"] for s in mem]
            sl = sls[0] if all(np.all(np.asarray(x) == np.asarray(sls[0])) for x in sls) else 0.95
            self.region_acc.append(Resil(self.n, sl, 0, 3))

    # --- series -----------------------------------------------------------------------------
    def series_setup(self):
        pats = (self.sc.y.get("report") or {}).get("series")
        S = []

        def add(ent, metric, unit, get):
            full = "%s/%s" % (ent, metric)
            if pats is None or any(fnmatch.fnmatchcase(full, p) for p in pats):
                S.append((ent, metric, unit, get))

        for o in self.nodes:
            for k, (name, unit) in enumerate(o.metrics):
                add(o.id, name, unit, lambda o=o, k=k: o.met[k])
            for m in range(self.nm):
                if m in o.held:
                    add(o.id, "stock." + self.sc.mats[m], "t",
                        lambda o=o, m=m: self.stock[o.i, m])
        for k in self.lk:
            add(k.id, "shipped", "t", lambda k=k: self.shipped[k.i])
            add(k.id, "in_transit", "t", lambda k=k: self.transit[k.i])
        for g in self.gates:
            for j, (name, unit) in enumerate(g.metrics):
                add(g.id, name, unit, lambda g=g, j=j: g.met[j])
            add(g.id, "shipped", "t", lambda g=g: sum(self.shipped[l] for l in g.links))
            regs = []
            for l in g.links:
                rg = self.nodes[self.lk[l].to].region
                if rg and rg not in regs:
                    regs.append(rg)
            if len(regs) >= 2:
                for rg in regs:
                    js = [j for j, l in enumerate(g.links) if self.nodes[self.lk[l].to].region == rg]
                    add(g.id, "approved." + rg, "t",
                        lambda g=g, js=js: sum(g.granted[j] for j in js))
                    add(g.id, "shipped." + rg, "t",
                        lambda g=g, js=js: sum(self.shipped[g.links[j]] for j in js))
        for s_, rid in enumerate(getattr(self, "reg_ids", [])):
            add("regime", rid, "1", lambda s_=s_: (self.regime == s_).astype(float))
        if any(isinstance(o, Sector) for o in self.nodes):
            for m in range(self.nm):
                add(self.sc.mats[m], "shortage_ratio", "1", lambda m=m: self.scarcity[m])
        self.series = S

    # --- one step ---------------------------------------------------------------------------
    def step(self, t):
        n, nm, T = self.n, self.nm, self.T
        self.order = Pairs(n)
        self.requested = self.requested_now
        self.requested_now = Pairs(n)
        self.ship = Pairs(n)
        # 1 arrivals
        for k in self.lk:
            q = self.pipe[k.i, t % self.R]
            self.stock[k.to, k.mat] += q
            self.transit[k.i] -= q
            q[:] = 0
        # 2 policy
        if t > 0:
            self.policy(t)
        # 3 production
        for o in self.nodes:
            if o.produce:
                o.produce(t)
        # 4 positions and orders
        self.position = Positions(self)
        for o in self.nodes:
            if o.order:
                o.order(t)
        # 5 gates: applications, decisions
        for g in self.gates:
            applied = []
            for l in g.links:
                k = self.lk[l]
                applied.append(self.order[k.to, k.mat] * k.share if k.rank == 0
                               else self.fallback[l])
            g.decide(t, applied)
        # 6 shipping
        self.shipping(t)
        # 7 consumption
        need_sum = np.zeros((nm, n))
        short_sum = np.zeros((nm, n))
        for o in self.nodes:
            if o.consume:
                o.consume(t)
                need_sum[o.m] += o.need
                short_sum[o.m] += o.sf
        hist = {}
        for o in self.nodes:
            if o.consume:
                hist[o.m] = hist[o.m] + o.used if o.m in hist else o.used
        self.history.append(hist)
        for (reg, mem, same), acc in zip(self.regions, self.region_acc):
            acc.step(t, sum(s.need for s in mem), sum(s.used for s in mem),
                     sum(s.lost for s in mem))
        # 8 accounting: this step's shortage ratio
        self.scarcity = np.where(need_sum > 0, short_sum / np.where(need_sum > 0, need_sum, 1), 0)

    def shipping(self, t):
        n, T = self.n, self.T
        offer = {}  # all stock, unless the model says less
        for pr in self.senders:
            offer[pr] = np.maximum(self.stock[pr], 0)
        for o in self.nodes:
            if o.offer:
                o.offer(offer)
        self.shipped = np.zeros((len(self.lk), n))
        extra = []
        for k in self.lk:
            dp = k.p["delay_prob"]
            mid = (np.asarray(dp) > 0) & (np.asarray(dp) < 1)
            if np.any(mid):
                u = self.rng.random(n)
                e = np.where(u < dp, k.p["delay_months"], 0.0)
                e = np.where(np.asarray(dp) >= 1, k.p["delay_months"], e)
            else:
                e = np.where(np.asarray(dp) >= 1, k.p["delay_months"], 0.0)
                if np.ndim(e) == 0:
                    e = float(e)
            extra.append(e)
        unmet = None
        req = {}
        for r in range(self.maxrank + 1):
            links = self.rank_links[r]
            for l in links:
                k = self.lk[l]
                if k.slot >= 0:
                    req[l] = self.gates[k.gate].licensed[k.slot]
                    if r > 0:
                        self.fallback[l] = unmet[k.to, k.mat] * k.share
                else:
                    base = self.order[k.to, k.mat] if r == 0 else unmet[k.to, k.mat]
                    req[l] = base * k.share
                self.requested_now[k.frm, k.mat] += req[l]
            for (nd, m), groups in self.alloc[r].items():
                self.allocate(t, nd, m, groups, req, offer, extra)
            if r == self.maxrank:
                break
            un = Pairs(n)
            for l in links:
                k = self.lk[l]
                got = self.shipped[l]  # a link ships in its own rank only, so all this rank
                if k.slot < 0:
                    un[k.to, k.mat] += req[l] - got
                else:
                    base = self.order[k.to, k.mat] if r == 0 else unmet[k.to, k.mat]
                    un[k.to, k.mat] += np.maximum(base * k.share - got, 0)
            unmet = un
        # a stock left a hair below zero by proportional shares is zero
        for pr in self.senders:
            s = self.stock[pr]
            tiny = (s < 0) & (s > -1e-9 * (self.ship[pr] + 1))
            if tiny.any():
                s[tiny] = 0
        for g in self.gates:
            g.ship(t, self.shipped)

    def allocate(self, t, nd, m, groups, req, offer, extra):
        avail = np.maximum(np.minimum(offer[nd, m], self.stock[nd, m]), 0)
        stock, ship = self.stock[nd, m], self.ship[nd, m]
        for grp in groups:
            rqs = [np.maximum(req[l], 0) for l in grp]
            want = rqs[0]
            for rq in rqs[1:]:
                want = want + rq
            give = np.minimum(want, avail)
            # frac is exactly 1 where the group gets all it wants (give == want), so rq * frac
            # is rq there; 0 where it wants nothing
            has = want > 0  # (np.divide(..., where=) is slower than the two where()s)
            frac = np.where(has, give / np.where(has, want, 1), 0)
            for l, rq in zip(grp, rqs):
                q = np.multiply(rq, frac, out=rq)
                self.shipped[l] += q
                ship += q
                stock -= q
                self.dispatch(t, l, q, extra[l])
            np.subtract(avail, give, out=avail)

    def dispatch(self, t, l, q, extra):
        k, T = self.lk[l], self.T
        d = np.maximum(k.lead + extra, 1)
        kk = np.floor(d)
        f = d - kk
        R = self.R
        if np.ndim(d) == 0:
            i1 = int(t + kk) % R
            if f:
                self.pipe[l, i1] += q * (1 - f)
                self.pipe[l, (i1 + 1) % R] += q * f
            else:  # q * (1 - 0) is q
                self.pipe[l, i1] += q
        else:
            i1 = (t + kk).astype(np.int64) % R
            ring = self.pipe[l].reshape(-1)  # [R, runs] flat: one index array per slot
            ar, n = self.ar, self.n
            ring[i1 * n + ar] += q * (1 - f)
            ring[(i1 + 1) % R * n + ar] += q * f
        self.transit[l] += q

    # --- indicators --------------------------------------------------------------------------
    def indicators(self):
        out = []
        for o in self.nodes:
            for (name, unit), v in zip(o.indicators, o.finish()):
                out.append((o.id, name, unit, np.broadcast_to(v, (self.n,))))
        for g in self.gates:
            for (name, unit), v in zip(g.indicators, g.finish()):
                out.append((g.id, name, unit, v))
        for (reg, mem, same), acc in zip(self.regions, self.region_acc):
            r = acc.finish(self.T)
            for name, unit in REGION_NAMES:
                if name == "lost_units" and not same:
                    continue
                out.append((reg, name, unit, r[name]))
        return out

Q7 = np.true_divide(np.asarray(QS), 100)  # as np.percentile turns QS into fractions


def row_stats(a, out, work):
    """Per row of a [rows, runs]: mean, sd (n - 1) and the type-7 quantiles QS into out[rows, 7],
    the same arithmetic as np.mean, np.std(ddof=1) and np.percentile(method='linear') (numpy
    1.24's _quantile: virtual index (n - 1) q, its floor and floor + 1, _lerp), so the same
    values, without their temporaries: the mean is summed once, the deviations squared in place
    in `work`, and each row of a is partitioned in place along the contiguous run axis
    (np.percentile with axis=1 copies the array, moves that axis first and then takes from the
    strided view three times, each a transposing copy); the order of the values within a row is
    lost."""
    rows, n = a.shape
    mean = np.add.reduce(a, axis=1)
    np.true_divide(mean, n, out=mean)
    out[:, 0] = mean
    if n > 1:
        np.subtract(a, mean[:, None], out=work)
        np.multiply(work, work, out=work)
        var = np.add.reduce(work, axis=1)
        np.true_divide(var, n - 1, out=var)
        out[:, 1] = np.sqrt(var)
    else:
        out[:, 1] = 0
    v = (n - 1) * Q7
    prev = np.floor(v)
    nxt = prev + 1
    top = v >= n - 1
    prev[top] = n - 1
    nxt[top] = n - 1
    prev, nxt = prev.astype(np.intp), nxt.astype(np.intp)
    gamma = v - prev
    a.partition(np.unique(np.concatenate((prev, nxt))), axis=1)
    lo, hi = a[:, prev], a[:, nxt]
    d = hi - lo
    res = lo + d * gamma
    np.subtract(hi, d * (1 - gamma), out=res, where=gamma >= 0.5)
    nan = np.isnan(mean)  # a NaN makes the mean NaN; np.percentile gives NaN for that row
    if nan.any():
        res[nan & np.isnan(a).any(1)] = np.nan
    out[:, 2:] = res


def run(args):
    t0 = time.time()
    scales = {}
    for s in args.scale or []:
        k, v = s.split("=")
        scales[k] = float(v)
    sc = Scenario(args.scenario, args.runs, args.seed, scales)
    sim = Sim(sc)
    sim.reset()
    S, T, n = len(sim.series), sim.T, sim.n
    stats = np.zeros((S, T, 7))  # mean, sd, p05..p95
    bands = np.zeros((S, T, 5, 2)) if args.bands else None
    vals = np.empty((S, n))  # this month's values, one row per series (reused)
    work = np.empty((S, n))
    for t in range(T):
        sim.step(t)
        for s, (_, _, _, get) in enumerate(sim.series):
            vals[s] = get()
        if bands is not None:
            bands[:, t] = order_bands(vals)
        row_stats(vals, stats[:, t], work)
    ind = sim.indicators()
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "timeseries.csv"), "w") as f:
        f.write("scenario,step,date,entity,metric,unit,mean,sd,p05,p25,p50,p75,p95\n")
        for s, (ent, met, unit, _) in enumerate(sim.series):
            for t in range(T):
                f.write("%s,%d,%s,%s,%s,%s,%s\n" % (sc.name, t, date_str(sc.start + t), ent, met,
                                                   unit, ",".join(fmt(x) for x in stats[s, t])))
    with open(os.path.join(args.out, "summary.csv"), "w") as f:
        f.write("scenario,entity,indicator,unit,runs,mean,sd,p05,p25,p50,p75,p95,min,max\n")
        K = len(ind)
        iv = np.empty((K, n))
        for k, (*_, v) in enumerate(ind):
            iv[k] = v
        ist = np.empty((K, 9))
        ist[:, 7] = iv.min(1)
        ist[:, 8] = iv.max(1)
        row_stats(iv.copy(), ist[:, :7], np.empty((K, n)))  # iv stays in run order
        for (ent, name, unit, v), row in zip(ind, ist.tolist()):
            f.write("%s,%s,%s,%s,%d,%s\n" % (sc.name, ent, name, unit, n,
                                             ",".join(fmt(x) for x in row)))
    if args.runs_csv:
        with open(os.path.join(args.out, "runs.csv"), "w") as f:
            f.write("scenario,run,entity,indicator,unit,value\n")
            mat = iv.T  # runs x indicators
            # One template per run, the run number joined into it, then one % operation for
            # the run's values. A column whose values are all whole numbers below 1e10 in
            # magnitude (and no -0) is written with %d, which gives the same text as %.10g for
            # those values and is about three times as fast (months, counts, flags).
            esc = lambda x: str(x).replace("%", "%%")
            whole = (iv == np.floor(iv)).all(1) & (np.abs(iv) < 1e10).all(1) & \
                ~(np.signbit(iv) & (iv == 0)).any(1)
            lines = [",%s,%s,%s,%s\n" % (esc(e), esc(nm_), esc(u), "%d" if w else "%.10g")
                     for (e, nm_, u, _), w in zip(ind, whole.tolist())]
            head = esc(sc.name) + ","
            pieces = [head] + [x + head for x in lines[:-1]] + lines[-1:]
            rows = mat.tolist()
            w = f.write
            for r in range(n):
                w(str(r).join(pieces) % tuple(rows[r]))
    if bands is not None:
        with open(os.path.join(args.out, "bands.csv"), "w") as f:
            f.write("entity,metric,step,q,lo,hi\n")
            for s, (ent, met, _, _) in enumerate(sim.series):
                for t in range(T):
                    for i, q in enumerate(QS):
                        f.write("%s,%s,%d,p%02d,%r,%r\n" % (ent, met, t, q, bands[s, t, i, 0],
                                                            bands[s, t, i, 1]))
    with open(os.path.join(args.out, "meta.json"), "w") as f:
        json.dump({"implementation": "bench/numpy/reesim_np.py", "numpy": np.__version__,
                   "scenario": sc.name, "scenario_file": args.scenario, "seed": sc.seed,
                   "runs": n, "steps": T, "series": S, "indicators": len(ind),
                   "scale": scales, "wall_seconds": time.time() - t0}, f, indent=1)


# Rank tolerance of the bands: reesim's quantile sketch (k = 512) is within about 0.5% of rank
# at 1e5 runs (docs/statistics.md, measured); 1% allows twice that.
SKETCH_RANK = 0.01
Z = 4.5


def order_bands(vals):
    """For each series (row) and quantile q, the values at ranks n q -/+ (Z sqrt(2 q (1-q) / n)
    + SKETCH_RANK) n of the sorted runs: where an independent sample's quantile of the same
    distribution (two samples: variance doubled), read through the sketch, should fall."""
    S, n = vals.shape
    srt = np.sort(vals, axis=1)
    out = np.zeros((S, len(QS), 2))
    for i, q in enumerate(QS):
        p = q / 100
        h = Z * math.sqrt(2 * p * (1 - p) / n) + SKETCH_RANK
        lo = max(0, int(math.floor((p - h) * (n - 1))))
        hi = min(n - 1, int(math.ceil((p + h) * (n - 1))))
        out[:, i, 0] = srt[:, lo]
        out[:, i, 1] = srt[:, hi]
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("scenario")
    ap.add_argument("-n", "--runs", type=int, required=True)
    ap.add_argument("-o", "--out", required=True)
    ap.add_argument("--seed", type=int, default=None)
    ap.add_argument("--runs-csv", action="store_true", help="write runs.csv (per-run indicators)")
    ap.add_argument("--bands", action="store_true",
                    help="write bands.csv, order-statistic bands of the series quantiles")
    ap.add_argument("--scale", action="append", metavar="ID.KEY=FACTOR",
                    help="multiply a parameter (for the perturbation test of agree.py)")
    args = ap.parse_args()
    try:
        run(args)
    except Unsupported as e:
        print("reesim_np: not implemented: %s" % e, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
