"""Seeded scheduling instances shaped like a court-attached financial mediation center.

Today is Monday 2026-09-21, so every horizon crosses the Mid-Autumn Festival (Sep 25–27) and the
National Day Golden Week (Oct 1–7, with Sun Sep 20 and Sat Oct 10 worked); the grid takes the
working days from chinese-calendar. Court hours: 8:30–12:00 and, until Sep 30, the summer afternoon
15:00–18:00, then 14:30–17:30.

People: 60% mediators, 25% experts, 10% liaison judges, 5% leaders. Part-timers (30% of
mediators, half the experts) sit only in weekly windows (say Tuesday and Thursday mornings); about
10% take a week or more of leave inside the horizon; judges have court hearings, leaders their own
meetings, some mediators and experts other fixed engagements. Rooms: most at the center, a quarter
in court buildings (location ``court-0802`` and so on, lent to the center two weekdays a week
less), capacities 4–12, equipment among video, projector and recording, and one online room. Two
weekly regular meetings (例会): Monday 09:00 for the leaders and some mediators, Thursday 15:00
for other mediators; the Monday of Oct 5 and the Thursday of Oct 1 fall in the Golden Week, so
those occurrences must be rescheduled in the following week.

Sessions: mediations (a mediator, sometimes with an expert), small-claims mediations (60
minutes), joint mediations (two mediators, an expert and the liaison judge, 120 minutes),
evaluations (expert and mediator) and case conferences (leaders, two to four presiding mediators
and liaison judges on two to four cases, 120 minutes); in person, online or either; some need
equipment, some name preferred days or rooms, a few are pinned where they were published.

Tightness is built in, not hoped for. The generator plants a schedule that obeys every hard rule
(with :class:`benchmarks.sched_baselines.Book`, the greedy baseline's occupancy), front-loaded on
the first working days, and then sets each deadline a few working days after the planted day
(nearly half of them on the planted day or within two working days). So every instance is
feasible as a whole, every session individually, and the early days are crowded: an earliest-fit
pass in arrival order, rather than by deadline, fills them with sessions that could have waited
and misses deadlines. :func:`tightness` gives the figures.

``generate("M", seed=3)`` is deterministic: the same size and seed give an equal problem.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta

import numpy as np
import numpy.typing as npt

from benchmarks.sched_baselines import Book, room_fits, room_order
from scheduler.grid import DAY, Grid
from scheduler.problem import (
    CASE_CONFERENCE,
    EITHER,
    EVALUATION,
    IN_PERSON,
    JOINT_MEDIATION,
    MEDIATION,
    ONLINE,
    TZ,
    Availability,
    Busy,
    Person,
    Placement,
    RecurringMeeting,
    Room,
    SchedulingProblem,
    Session,
    Settings,
    Weights,
)

IntArray = npt.NDArray[np.int64]

SIZES: dict[str, tuple[int, int]] = {
    "S": (150, 60),
    "M": (1_000, 300),
    "L": (5_000, 1_500),
}
HORIZONS = {"S": 21, "M": 42, "L": 56}  # calendar days: 3, 6 and 8 weeks
ROOMS = {"S": 6, "M": 20, "L": 60}  # physical rooms; each size adds one online room
TODAY = date(2026, 9, 21)  # a Monday, ten days before the Golden Week

MEDIATOR, EXPERT, JUDGE, LEADER = "mediator", "expert", "liaison_judge", "leader"
ROLE_SHARES = ((MEDIATOR, 0.60), (EXPERT, 0.25), (JUDGE, 0.10), (LEADER, 0.05))
ROLE_PREFIX = {MEDIATOR: "med", EXPERT: "exp", JUDGE: "jud", LEADER: "lead"}
ROLE_NAME = {MEDIATOR: "调解员", EXPERT: "专家", JUDGE: "联络法官", LEADER: "中心领导"}
COURTS = ("0802", "0105", "0108", "0106", "0111", "0112", "0113", "0114")
EQUIPMENT = ("video", "projector", "recording")
SMALL_CLAIMS = "small_claims"  # a mediation with small_claims=True
KIND_MIX = (
    (MEDIATION, 0.60),
    (SMALL_CLAIMS, 0.17),
    (JOINT_MEDIATION, 0.10),
    (EVALUATION, 0.08),
    (CASE_CONFERENCE, 0.05),
)
MORNING = (8 * 60 + 30, 12 * 60)
AFTERNOON = (14 * 60 + 30, 18 * 60)  # covers the summer and the winter afternoon
SKEW = 1.6  # planted day = workdays × u**SKEW: the first days get the most sessions
MAX_DRAWS = 60  # draws of one session's participants before the generator gives up


@dataclass(frozen=True)
class Shape:
    sessions: int
    people: int
    horizon_days: int
    rooms: int  # physical; plus the online room


def shape(size: str | tuple[int, int]) -> Shape:
    """The instance's dimensions for a size name or (sessions, people)."""
    if isinstance(size, str):
        key = size.upper()
        if key not in SIZES:
            raise ValueError(f"size: unknown size {size!r} (expected one of {list(SIZES)})")
        sessions, people = SIZES[key]
        return Shape(sessions, people, HORIZONS[key], ROOMS[key])
    sessions, people = (int(x) for x in size)
    if sessions < 10 or people < 15:
        raise ValueError(f"size: need at least 10 sessions and 15 people, got {size!r}")
    if sessions <= 400:
        horizon, per_room = 21, 25
    elif sessions <= 2_500:
        horizon, per_room = 42, 50
    else:
        horizon, per_room = 56, 83
    return Shape(sessions, people, horizon, max(3, round(sessions / per_room)))


def dimensions(size: str | tuple[int, int]) -> tuple[int, int]:
    """(sessions, people) for a size name or an explicit pair."""
    s = shape(size)
    return s.sessions, s.people


def generate(size: str | tuple[int, int], seed: int = 0) -> SchedulingProblem:
    """A tight instance of the given size (S, M, L or (sessions, people)) whose every session is
    individually feasible and which has a complete schedule."""
    return generate_planted(size, seed)[0]


def generate_planted(
    size: str | tuple[int, int], seed: int = 0
) -> tuple[SchedulingProblem, dict[str, tuple[int, str]]]:
    """The instance and the schedule planted in it: session id -> (start minute, room id) for
    every session of ``Grid(problem).sessions`` (rescheduled meeting occurrences included).

    Proof of feasibility for tests; never hand it to a solver or a baseline.
    """
    return _Builder(np.random.default_rng(seed), shape(size)).build()


# --- tightness -----------------------------------------------------------------------------------


def tightness(problem: SchedulingProblem, grid: Grid | None = None) -> dict[str, float]:
    """Figures for how crowded the instance is.

    - ``person_load``: participant-minutes demanded / participant free court minutes between the
      notice lead and the end of the horizon (all people);
    - ``peak_person_load``: the same for the busiest person;
    - ``room_load``: in-person session minutes / physical room minutes open in that period
      (closures and fixed meetings taken out); ``room_load_either`` counts ``either`` sessions too;
    - ``deadline_room_load``: the largest, over days d, of the in-person minutes due by d / the
      physical room minutes open up to d (above 1 no schedule could exist);
    - ``close_deadlines``: the share of sessions due within three working days of their first day;
    - ``median_starts`` and ``joint_median_starts``: the median number of feasible starts of all
      sessions and of joint sessions and conferences (participants' common free time).
    """
    grid = Grid(problem) if grid is None else grid
    s = problem.settings
    first = grid.calendar.add_workdays(s.today, s.notice_days)
    lo = max((first - s.today).days, 0) * DAY
    open_minutes = grid.hours.copy()
    open_minutes[:lo] = False
    free = (grid.free & open_minutes[None, :]).sum(axis=1)
    demand = np.zeros(len(problem.people), dtype=np.int64)
    index = problem.person_index
    for session in grid.sessions:
        for pid in session.participants:
            demand[index[pid]] += session.duration
    # Physical room minutes open, per day.
    n_days = len(grid.days)
    room_open = np.zeros(n_days, dtype=np.int64)
    for room in problem.rooms:
        if room.online:
            continue
        mask = open_minutes.copy()
        for a, b in grid.room_busy.get(room.id, []):
            mask[max(a, 0) : max(min(b, mask.size), 0)] = False
        room_open += mask.reshape(n_days, DAY).sum(axis=1)
    due = np.zeros(n_days, dtype=np.int64)
    in_person = either = 0
    close = 0
    for session in grid.sessions:
        if session.mode == IN_PERSON:
            in_person += session.duration
            k = min(max((session.deadline - s.today).days, 0), n_days - 1)
            due[k] += session.duration
        elif session.mode == EITHER:
            either += session.duration
        if _workdays_in_window(grid, session) <= 3:
            close += 1
    cum_open = np.cumsum(room_open)
    cum_due = np.cumsum(due)
    ratio = np.divide(cum_due, cum_open, out=np.zeros(n_days), where=cum_open > 0)
    starts = np.array([grid.starts(x).size for x in grid.sessions], dtype=np.int64)
    joint = np.array(
        [
            grid.starts(x).size
            for x in grid.sessions
            if x.kind in (JOINT_MEDIATION, CASE_CONFERENCE)
        ],
        dtype=np.int64,
    )
    total_open = max(int(room_open.sum()), 1)
    has_free = free > 0
    return {
        "person_load": round(float(demand.sum() / max(int(free.sum()), 1)), 4),
        "peak_person_load": round(
            float((demand[has_free] / free[has_free]).max()) if has_free.any() else 0.0, 4
        ),
        "room_load": round(in_person / total_open, 4),
        "room_load_either": round((in_person + either) / total_open, 4),
        "deadline_room_load": round(float(ratio.max()), 4),
        "close_deadlines": round(close / max(len(grid.sessions), 1), 4),
        "median_starts": float(np.median(starts)) if starts.size else 0.0,
        "joint_median_starts": float(np.median(joint)) if joint.size else 0.0,
    }


def _workdays_in_window(grid: Grid, session: Session) -> int:
    """Working days from the session's first day to its deadline, both included."""
    start, deadline = grid.window(session)
    k0 = (start - grid.today).days
    k1 = (deadline - grid.today).days
    if k1 < k0:
        return 0
    n = len(grid.days)
    inside = 0
    if k0 < n:
        before = int(grid.workday_count[k0 - 1]) if k0 > 0 else 0
        inside = int(grid.workday_count[min(k1, n - 1)]) - before
    if k1 < n:
        return inside
    beyond = max(start, grid.days[-1] + timedelta(days=1))
    return inside + len(grid.calendar.workdays_between(beyond, deadline))


# --- the builder ---------------------------------------------------------------------------------


@dataclass
class _Draft:
    kind: str
    cases: tuple[str, ...]
    duration: int
    participants: tuple[str, ...]
    mode: str
    equipment: frozenset[str]
    small_claims: bool = False
    court: str = ""
    start: int = 0  # planted start minute
    room: str = ""  # planted room


class _Builder:
    def __init__(self, rng: np.random.Generator, dims: Shape) -> None:
        self.rng = rng
        self.dims = dims
        self.settings = Settings(today=TODAY, horizon_days=dims.horizon_days)
        self.days = [TODAY + timedelta(days=k) for k in range(dims.horizon_days)]
        self.case_serial = 0

    def build(self) -> tuple[SchedulingProblem, dict[str, tuple[int, str]]]:
        self._rooms()
        self._people()
        self._meetings()
        base = SchedulingProblem(
            settings=self.settings,
            rooms=tuple(self.rooms),
            people=tuple(self.people),
            sessions=(),
            meetings=tuple(self.meetings),
        )
        self.grid = Grid(base)
        self.workdays = [d for d, w in zip(self.days, self.grid.workday, strict=True) if w]
        self.first = self.grid.calendar.add_workdays(TODAY, self.settings.notice_days)
        self.window_days = [d for d in self.workdays if d >= self.first]
        self.book = Book(self.grid)
        planted = self._plant_occurrences()
        drafts = self._plant_sessions()
        sessions = self._finish(drafts, planted)
        problem = SchedulingProblem(
            settings=self.settings,
            rooms=base.rooms,
            people=base.people,
            sessions=tuple(sessions),
            meetings=base.meetings,
            weights=Weights(),
        )
        return problem, planted

    # helpers ---------------------------------------------------------------------------------

    def _pick(self, options: tuple[tuple[str, float], ...]) -> str:
        names = [name for name, _ in options]
        weights = np.array([w for _, w in options], dtype=float)
        return names[int(self.rng.choice(len(names), p=weights / weights.sum()))]

    def _at(self, day: date, minute: int) -> datetime:
        return datetime(day.year, day.month, day.day, minute // 60, minute % 60, tzinfo=TZ)

    def _case(self, court: str) -> str:
        self.case_serial += 1
        return f"（2026）豫{court}民诉前调{self.case_serial}号"

    # rooms -----------------------------------------------------------------------------------

    def _rooms(self) -> None:
        rng, n = self.rng, self.dims.rooms
        n_court = max(1, round(0.25 * n)) if n >= 4 else 0
        n_center = n - n_court
        n_locations = max(1, -(-n_court // 3)) if n_court else 0
        self.court_codes = list(COURTS[: max(n_locations, 1)])
        rooms: list[Room] = []
        # Two meeting rooms at the center hold the regular meetings and the conferences.
        rooms.append(
            Room("center-101", "第一会议室", 12, frozenset({"projector", "video"}), "center")
        )
        if n_center >= 2:
            rooms.append(
                Room("center-102", "第二会议室", 10, frozenset({"projector", "recording"}))
            )
        weekdays = [d for d in self.days if d.weekday() < 5]
        renovation = n_center >= 4
        for k in range(len(rooms), n_center):
            capacity = int(rng.choice([4, 6, 6, 8, 8, 10, 12]))
            kit = frozenset(
                e for e in EQUIPMENT if rng.random() < (0.5, 0.3, 0.45)[EQUIPMENT.index(e)]
            )
            closed: tuple[Busy, ...] = ()
            if renovation and k == n_center - 1:
                # Works close one room for three working days early in the horizon.
                start = int(rng.integers(1, 5))
                days = weekdays[start : start + 3]
                closed = tuple(
                    Busy(self._at(d, 8 * 60), self._at(d, 18 * 60 + 30), "装修") for d in days
                )
            rooms.append(
                Room(f"center-{101 + k}", f"调解室{k - 1}", capacity, kit, "center", False, closed)
            )
        for k in range(n_court):
            code = self.court_codes[k % n_locations]
            capacity = int(rng.choice([6, 8, 10]))
            kit = frozenset({"recording"} | ({"video"} if rng.random() < 0.6 else set()))
            # The court keeps the room two weekdays a week for its own hearings.
            kept = set(rng.choice(5, 2, replace=False).tolist())
            closed = tuple(
                Busy(self._at(d, 8 * 60), self._at(d, 18 * 60 + 30), "法院自用")
                for d in self.days
                if d.weekday() in kept
            )
            rooms.append(
                Room(
                    f"court-{code}-{k // n_locations + 1}",
                    f"{code}法院诉调对接室{k // n_locations + 1}",
                    capacity,
                    kit,
                    f"court-{code}",
                    False,
                    closed,
                )
            )
        rooms.append(
            Room("online", "在线调解平台", 50, frozenset({"video", "recording"}), "online", True)
        )
        self.rooms = rooms
        self.court_rooms = {
            code: [r.id for r in rooms if r.location == f"court-{code}"]
            for code in self.court_codes
        }

    # people ----------------------------------------------------------------------------------

    def _people(self) -> None:
        rng, n = self.rng, self.dims.people
        counts = {role: max(1, round(share * n)) for role, share in ROLE_SHARES}
        counts[MEDIATOR] = n - counts[EXPERT] - counts[JUDGE] - counts[LEADER]
        self.by_role: dict[str, list[str]] = {}
        roles: list[tuple[str, str]] = []
        for role, _ in ROLE_SHARES:
            width = max(3, len(str(counts[role])))
            ids = [f"{ROLE_PREFIX[role]}{k + 1:0{width}d}" for k in range(counts[role])]
            self.by_role[role] = ids
            roles += [(pid, role) for pid in ids]
        mediators = self.by_role[MEDIATOR]
        k1 = min(6, max(2, len(mediators) // 4))
        k2 = min(6, max(2, len(mediators) // 4))
        leaders = self.by_role[LEADER][:3]
        self.monday_members = (*leaders, *mediators[:k1])
        self.thursday_members = tuple(mediators[k1 : k1 + k2])
        members = set(self.monday_members) | set(self.thursday_members)
        workdays = [d for d in self.days if d.weekday() < 5]
        self.part_time: set[str] = set()
        people: list[Person] = []
        for pid, role in roles:
            availability: tuple[Availability, ...] = ()
            max_sessions, max_minutes = 4, 6 * 60
            part = pid not in members and rng.random() < {MEDIATOR: 0.3, EXPERT: 0.5}.get(role, 0)
            if part:
                self.part_time.add(pid)
                weekdays = sorted(rng.choice(5, int(rng.integers(2, 4)), replace=False).tolist())
                windows: list[Availability] = []
                for w in weekdays:
                    u = rng.random()
                    if u < 0.45:
                        windows.append(Availability(w, *MORNING))
                    elif u < 0.8:
                        windows.append(Availability(w, *AFTERNOON))
                    else:
                        windows.append(Availability(w, MORNING[0], AFTERNOON[1]))
                availability = tuple(windows)
                max_sessions, max_minutes = 3, 4 * 60
            elif role in (JUDGE, LEADER):
                max_sessions, max_minutes = 3, 5 * 60
            leave: tuple[tuple[date, date], ...] = ()
            if pid not in members and rng.random() < 0.1:
                length = int(rng.integers(7, 13))
                start = TODAY + timedelta(days=int(rng.integers(0, max(1, len(self.days) - 5))))
                leave = ((start, start + timedelta(days=length - 1)),)
            busy = self._busy(role, workdays)
            people.append(
                Person(
                    id=pid,
                    name=f"{ROLE_NAME[role]}{pid[len(ROLE_PREFIX[role]) :]}",
                    role=role,
                    availability=availability,
                    leave=leave,
                    busy=busy,
                    max_sessions_per_day=max_sessions,
                    max_minutes_per_day=max_minutes,
                )
            )
        self.people = people
        # Some mediators carry far more cases than others.
        weights = rng.lognormal(0.0, 0.7, len(mediators))
        self.mediator_weights = weights / weights.sum()

    def _busy(self, role: str, workdays: list[date]) -> tuple[Busy, ...]:
        """Court hearings for judges, leaders' own meetings, other engagements."""
        rng = self.rng
        rate, label = {
            JUDGE: (0.45, "庭审"),
            LEADER: (0.3, "院务会"),
            EXPERT: (0.1, "外部鉴定"),
            MEDIATOR: (0.05, "其他调解"),
        }[role]
        out: list[Busy] = []
        for d in workdays:
            if rng.random() >= rate:
                continue
            if role == JUDGE:
                lo, hi = (9 * 60, 11 * 60 + 30) if rng.random() < 0.6 else (14 * 60 + 30, 17 * 60)
            else:
                lo = int(rng.choice([9 * 60, 10 * 60, 15 * 60]))
                hi = lo + int(rng.choice([90, 120]))
            out.append(Busy(self._at(d, lo), self._at(d, hi), label))
        return tuple(out)

    # meetings --------------------------------------------------------------------------------

    def _meetings(self) -> None:
        meetings = [
            RecurringMeeting(
                id="weekly-monday",
                title="周一例会",
                rrule="FREQ=WEEKLY;BYDAY=MO",
                start=datetime(2026, 9, 21, 9, 0, tzinfo=TZ),
                duration=60,
                members=self.monday_members,
                room="center-101",
            )
        ]
        if len(self.rooms) > 2 and self.rooms[1].id == "center-102" and self.thursday_members:
            meetings.append(
                RecurringMeeting(
                    id="weekly-thursday",
                    title="业务学习会",
                    rrule="FREQ=WEEKLY;BYDAY=TH",
                    start=datetime(2026, 9, 24, 15, 0, tzinfo=TZ),
                    duration=60,
                    members=self.thursday_members,
                    room="center-102",
                )
            )
        self.meetings = meetings

    # planting --------------------------------------------------------------------------------

    def _plant_occurrences(self) -> dict[str, tuple[int, str]]:
        """Rest-day occurrences of the regular meetings, at their earliest feasible place."""
        planted: dict[str, tuple[int, str]] = {}
        grid, book = self.grid, self.book
        for session in grid.sessions:
            order = room_order(grid.problem, session)
            starts = grid.starts(session)
            ok = book.options(session, starts, order)
            anywhere = ok.any(axis=0)
            if not anywhere.any():  # pragma: no cover - members are full-timers without leave
                raise RuntimeError(f"cannot plant {session.id}")
            j = int(np.argmax(anywhere))
            room = self.rooms[order[int(np.argmax(ok[:, j]))]].id
            book.book(session.participants, int(starts[j]), session.duration, room)
            planted[session.id] = (int(starts[j]), room)
        return planted

    def _draft(self) -> _Draft:
        rng = self.rng
        kind = self._pick(KIND_MIX)
        court = str(rng.choice(COURTS[:5]))
        mediators = self.by_role[MEDIATOR]

        def med(k: int) -> list[str]:
            idx = rng.choice(len(mediators), k, replace=False, p=self.mediator_weights)
            return [mediators[int(i)] for i in idx]

        def some(role: str, k: int) -> list[str]:
            pool = self.by_role[role]
            return [pool[int(i)] for i in rng.choice(len(pool), min(k, len(pool)), replace=False)]

        equipment: set[str] = set()
        small = False
        cases: tuple[str, ...] = (self._case(court),)
        if kind == SMALL_CLAIMS:
            kind, small = MEDIATION, True
            people = med(1)
            duration = 60
            mode = self._pick(((ONLINE, 0.4), (EITHER, 0.4), (IN_PERSON, 0.2)))
        elif kind == MEDIATION:
            people = med(1) + (some(EXPERT, 1) if rng.random() < 0.25 else [])
            duration = int(rng.choice([60, 90, 120], p=[0.3, 0.45, 0.25]))
            mode = self._pick(((IN_PERSON, 0.45), (EITHER, 0.40), (ONLINE, 0.15)))
            if mode == IN_PERSON and rng.random() < 0.25:
                equipment.add("recording")
            if mode == EITHER and rng.random() < 0.15:
                equipment.add("video")
        elif kind == JOINT_MEDIATION:
            people = med(2) + some(EXPERT, 1) + some(JUDGE, 1)
            duration = 120
            mode = self._pick(((IN_PERSON, 0.75), (EITHER, 0.25)))
            if rng.random() < 0.5:
                equipment.add("recording")
        elif kind == EVALUATION:
            people = some(EXPERT, 1) + med(1)
            duration = int(rng.choice([60, 90]))
            mode = self._pick(((IN_PERSON, 0.5), (EITHER, 0.3), (ONLINE, 0.2)))
            if mode != ONLINE and rng.random() < 0.4:
                equipment.add("projector")
                mode = IN_PERSON
        else:
            leaders = some(LEADER, int(rng.integers(1, 3)))
            people = med(int(rng.integers(2, 5))) + some(JUDGE, int(rng.integers(1, 3))) + leaders
            duration = 120
            mode = IN_PERSON
            equipment.add("projector")
            cases = tuple(self._case(court) for _ in range(int(rng.integers(2, 5))))
        return _Draft(
            kind=kind,
            cases=cases,
            duration=duration,
            participants=tuple(people),
            mode=mode,
            equipment=frozenset(equipment),
            small_claims=small,
            court=court,
        )

    def _plant_sessions(self) -> list[_Draft]:
        """Each draft at the earliest feasible start on the working day nearest a target drawn
        towards the first days; participants are drawn again when the draft fits nowhere."""
        rng, grid, book = self.rng, self.grid, self.book
        # Horizon day -> position among the window's working days.
        day_pos = np.full(len(self.days), -1.0)
        for k, d in enumerate(self.window_days):
            day_pos[self.grid.index[d]] = k
        last = len(self.window_days) - 1
        fitting: dict[tuple[str, frozenset[str], int], list[int]] = {}
        drafts: list[_Draft] = []
        failures = 0
        while len(drafts) < self.dims.sessions:
            draft = self._draft()
            # Small claims are heard on the fast track: within its first working days.
            span = len(self.window_days)
            if draft.small_claims:
                span = min(span, max(1, self.settings.fast_track_days - self.settings.notice_days))
            target = span * float(rng.random()) ** SKEW
            near = int(target)
            session = Session(
                id="draft",
                kind=draft.kind,
                cases=draft.cases,
                duration=draft.duration,
                participants=draft.participants,
                deadline=self.window_days[min(near + 2, last)],
                earliest=self.window_days[max(near - 2, 0)],
                mode=draft.mode,
                equipment=draft.equipment,
                small_claims=draft.small_claims,
            )
            key = (draft.mode, draft.equipment, len(draft.participants))
            if key not in fitting:
                fitting[key] = room_order(grid.problem, session)
            physical = [r for r in fitting[key] if not self.rooms[r].online]
            online = [r for r in fitting[key] if self.rooms[r].online]
            rng.shuffle(physical)
            # In the planted schedule half the ``either`` sessions go online.
            if draft.mode == EITHER and online and rng.random() < 0.5:
                order = online + physical
            else:
                order = physical + online
            # Around the target first (cheap), then anywhere in the window.
            starts = grid.starts(session)
            ok = book.options(session, starts, order)
            if not ok.any():
                session = replace(session, earliest=None, deadline=self.window_days[-1])
                starts = grid.starts(session)
                ok = book.options(session, starts, order)
            anywhere = ok.any(axis=0)
            if not anywhere.any():
                failures += 1
                if failures > MAX_DRAWS * (1 + self.dims.sessions // 10):
                    raise RuntimeError("the generator could not plant enough sessions")
                continue
            pos = day_pos[starts // DAY]
            distance = np.where(anywhere, np.abs(pos + 0.5 - target), np.inf)
            # The earliest feasible start on the day nearest the target.
            j = int(np.flatnonzero(distance == distance.min())[0])
            room = self.rooms[order[int(np.argmax(ok[:, j]))]].id
            book.book(session.participants, int(starts[j]), session.duration, room)
            draft.start, draft.room = int(starts[j]), room
            drafts.append(draft)
        return drafts

    def _finish(self, drafts: list[_Draft], planted: dict[str, tuple[int, str]]) -> list[Session]:
        """Deadlines a few working days after the planted day; windows, preferences, pins; ids in
        a random arrival order."""
        rng, grid = self.rng, self.grid
        # Working days from the first window day to a month past the horizon: deadlines.
        later = grid.calendar.workdays_between(self.first, self.days[-1] + timedelta(days=40))
        later_pos = {d: k for k, d in enumerate(later)}
        order = rng.permutation(len(drafts))
        width = max(4, len(str(len(drafts))))
        sessions: list[Session] = []
        for serial, i in enumerate(order.tolist()):
            d = drafts[i]
            sid = f"s{serial + 1:0{width}d}"
            day = grid.days[d.start // DAY]
            if d.small_claims:
                slack = int(rng.choice(4, p=[0.25, 0.3, 0.25, 0.2]))
            else:
                u = rng.random()
                if u < 0.45:
                    slack = int(rng.integers(0, 3))
                elif u < 0.8:
                    slack = int(rng.integers(3, 7))
                else:
                    slack = int(rng.integers(7, 16))
            deadline = later[later_pos[day] + slack]
            earliest: date | None = None
            if rng.random() < 0.1:
                back = int(rng.integers(0, 4))
                pos = self.window_days.index(day)
                earliest = self.window_days[max(pos - back, 0)]
            preferred_days: tuple[date, ...] = ()
            if rng.random() < 0.15:
                days = {day} if rng.random() < 0.5 else set()
                days.add(self.window_days[int(rng.integers(0, len(self.window_days)))])
                preferred_days = tuple(sorted(days))
            preferred_rooms: tuple[str, ...] = ()
            session_fits = self._fits(d)
            if rng.random() < 0.1:
                court_rooms = [r for r in self.court_rooms.get(d.court, []) if r in session_fits]
                if court_rooms and rng.random() < 0.5:
                    preferred_rooms = (court_rooms[0],)
                elif d.room != "online":
                    preferred_rooms = (d.room,)
            published: Placement | None = None
            pinned = False
            if rng.random() < 0.02:
                published = Placement(grid.to_datetime(d.start), d.room)
                pinned = True
            sessions.append(
                Session(
                    id=sid,
                    kind=d.kind,
                    cases=d.cases,
                    duration=d.duration,
                    participants=d.participants,
                    deadline=deadline,
                    earliest=earliest,
                    mode=d.mode,
                    equipment=d.equipment,
                    small_claims=d.small_claims,
                    preferred_days=preferred_days,
                    preferred_rooms=preferred_rooms,
                    published=published,
                    pinned=pinned,
                )
            )
            planted[sid] = (d.start, d.room)
        return sessions

    def _fits(self, d: _Draft) -> set[str]:
        probe = Session(
            id="probe",
            kind=d.kind,
            cases=d.cases,
            duration=d.duration,
            participants=d.participants,
            deadline=TODAY,
            mode=d.mode,
            equipment=d.equipment,
        )
        return {r.id for r in self.rooms if room_fits(r, probe)}
