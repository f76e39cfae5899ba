"""The time grid: working days of the horizon, court-hour blocks, and where each session may start.

Time is an integer number of minutes since midnight of ``settings.today`` (Asia/Shanghai; China
has no daylight saving time, so every day has 1440 minutes). A start is feasible for a session
when it lies on the grid, on a working day inside the session's window, inside one block with the
whole duration, and every participant is free for the whole duration (weekly hours, leave, fixed
busy time, regular meetings held fixed).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

import numpy as np
import numpy.typing as npt
from dateutil.rrule import rrulestr

from .problem import IN_PERSON, REGULAR_MEETING, TZ, RecurringMeeting, SchedulingProblem, Session
from .workdays import WorkdayCalendar, YearNotCovered

DAY = 24 * 60
BoolArray = npt.NDArray[np.bool_]
IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True)
class Occurrence:
    """One occurrence of a regular meeting in the horizon."""

    meeting: RecurringMeeting
    day: date
    minute: int  # start, minutes after midnight
    fixed: bool  # held at its RRULE time; otherwise it must be scheduled (it fell on a rest day)

    @property
    def id(self) -> str:
        return f"{self.meeting.id}@{self.day.isoformat()}"


class Grid:
    """Working days, blocks and per-minute masks over the horizon."""

    def __init__(self, problem: SchedulingProblem) -> None:
        s = problem.settings
        self.problem = problem
        self.step = s.grid
        self.today = s.today
        self.days = [s.today + timedelta(days=k) for k in range(s.horizon_days)]
        self.calendar = WorkdayCalendar(
            schedules=s.year_schedules,
            weekend_fallback=s.weekend_fallback,
        )
        missing = sorted({d.year for d in self.days if not self.calendar.covers(d.year)})
        if missing and not s.weekend_fallback:
            raise YearNotCovered(missing[0])
        self.fallback_years = tuple(missing)
        self.workday = np.array([self.calendar.is_workday(d) for d in self.days], dtype=bool)
        n = len(self.days) * DAY
        # Court hours: True for minutes inside a block; block ids keep sessions inside one.
        self.hours = np.zeros(n, dtype=bool)
        self.block_id = np.full(n, -1, dtype=np.int64)
        for k, day in enumerate(self.days):
            if not self.workday[k]:
                continue
            for b, block in enumerate(s.hours.blocks(day)):
                lo, hi = k * DAY + block.start, k * DAY + block.end
                self.hours[lo:hi] = True
                self.block_id[lo:hi] = 2 * k + b
        self.index = {d: k for k, d in enumerate(self.days)}
        self.occurrences = self._occurrences()
        self.free = self._person_free()
        # Working days up to and including each horizon day: slack and fast-track counts.
        self.workday_count = np.cumsum(self.workday, dtype=np.int64)
        self._beyond_cache: dict[tuple[date, int], int] = {}
        self.sessions = problem.sessions + tuple(
            self._as_session(o) for o in self.occurrences if not o.fixed
        )
        self.room_busy = self._room_busy()

    def _as_session(self, occ: Occurrence) -> Session:
        """An occurrence on a rest day becomes a session to place within the following week."""
        m = occ.meeting
        return Session(
            id=occ.id,
            kind=REGULAR_MEETING,
            cases=(),
            duration=m.duration,
            participants=m.members,
            earliest=occ.day,
            deadline=occ.day + timedelta(days=7),
            mode=IN_PERSON,
            preferred_rooms=(m.room,),
        )

    def _room_busy(self) -> dict[str, list[tuple[int, int]]]:
        """Room -> [start, end) minutes held by fixed meeting occurrences or closed."""
        out: dict[str, list[tuple[int, int]]] = {}
        for room in self.problem.rooms:
            for busy in room.closed:
                out.setdefault(room.id, []).append(
                    (self.to_minute(busy.start), self.to_minute(busy.end))
                )
        for occ in self.occurrences:
            if occ.fixed:
                lo = self.index[occ.day] * DAY + occ.minute
                out.setdefault(occ.meeting.room, []).append((lo, lo + occ.meeting.duration))
        return out

    def workdays_left(self, minute: int, deadline: date, cap: int) -> int:
        """Working days after the session's day up to the deadline, at most ``cap``."""
        k = self.day_of(minute)
        last = (deadline - self.today).days
        if last < k:  # after the deadline: negative, the working days it is late
            late = self.workday_count[k] - (self.workday_count[last] if last >= 0 else 0)
            return -min(int(late), cap)
        if last < len(self.days):
            return min(int(self.workday_count[last] - self.workday_count[k]), cap)
        inside = int(self.workday_count[-1] - self.workday_count[k])
        if inside >= cap:
            return cap
        return min(inside + self._beyond(deadline, cap), cap)

    def _beyond(self, deadline: date, cap: int) -> int:
        """Working days after the horizon up to ``deadline``, counted up to ``cap`` (memoised:
        the same deadlines come back for every placement scored). A year with no schedule
        counts its weekdays: only the slack term, never a placement, depends on it."""
        key = (deadline, cap)
        if key not in self._beyond_cache:
            count, day = 0, self.days[-1]
            while count < cap and day < deadline:
                day += timedelta(days=1)
                try:
                    count += self.calendar.is_workday(day)
                except YearNotCovered:
                    count += day.weekday() < 5
            self._beyond_cache[key] = count
        return self._beyond_cache[key]

    def workdays_from_today(self, minute: int) -> int:
        """Working days from today (exclusive) to the session's day (inclusive)."""
        return int(self.workday_count[self.day_of(minute)] - self.workday_count[0])

    # --- conversions ---------------------------------------------------------------------------

    def to_datetime(self, minute: int) -> datetime:
        day = self.days[0] + timedelta(days=minute // DAY)
        m = minute % DAY
        return datetime(day.year, day.month, day.day, m // 60, m % 60, tzinfo=TZ)

    def to_minute(self, moment: datetime) -> int:
        local = moment.astimezone(TZ)
        days = (local.date() - self.days[0]).days
        return days * DAY + local.hour * 60 + local.minute

    def day_of(self, minute: int) -> int:
        return minute // DAY

    # --- availability ----------------------------------------------------------------------------

    def _occurrences(self) -> list[Occurrence]:
        out: list[Occurrence] = []
        first = datetime.combine(self.days[0], datetime.min.time(), tzinfo=TZ)
        last = first + timedelta(days=len(self.days))
        for m in self.problem.meetings:
            rule = rrulestr(m.rrule, dtstart=m.start.astimezone(TZ))
            excluded = set(m.exdates)
            for moment in rule.between(first, last, inc=True):
                day = moment.astimezone(TZ).date()
                if day in excluded or day not in self.index:
                    continue
                local = moment.astimezone(TZ)
                minute = local.hour * 60 + local.minute
                out.append(Occurrence(m, day, minute, fixed=bool(self.workday[self.index[day]])))
        return out

    def _person_free(self) -> BoolArray:
        """(person, minute) -> free: weekly hours, no leave, no busy time, no fixed meeting."""
        problem = self.problem
        n = len(self.days) * DAY
        free = np.zeros((len(problem.people), n), dtype=bool)
        weekday = np.array([d.weekday() for d in self.days])
        for i, person in enumerate(problem.people):
            row = free[i]
            if person.availability:
                for w in person.availability:
                    for k in np.flatnonzero(weekday == w.weekday).tolist():
                        row[k * DAY + w.start : k * DAY + w.end] = True
            else:
                row[:] = True
            for k, day in enumerate(self.days):
                if person.on_leave(day):
                    row[k * DAY : (k + 1) * DAY] = False
            for busy in person.busy:
                lo = max(self.to_minute(busy.start), 0)
                hi = min(self.to_minute(busy.end), n)
                if hi > lo:
                    row[lo:hi] = False
        index = problem.person_index
        for occ in self.occurrences:
            if occ.fixed:
                lo = self.index[occ.day] * DAY + occ.minute
                for pid in occ.meeting.members:
                    free[index[pid], lo : lo + occ.meeting.duration] = False
        return free

    def window(self, session: Session) -> tuple[date, date]:
        """First and last day the session may be held."""
        s = self.problem.settings
        earliest = session.earliest
        if earliest is None:
            earliest = self.calendar.add_workdays(s.today, s.notice_days)
        return max(earliest, s.today), session.deadline

    def starts(self, session: Session, *, people: bool = True) -> IntArray:
        """Every feasible start minute of a session (grid, working day, window, one block,
        and, with ``people``, all participants free throughout)."""
        first, last = self.window(session)
        lo = (first - self.today).days * DAY
        hi = min((last - self.today).days + 1, len(self.days)) * DAY
        if hi <= lo:
            return np.zeros(0, dtype=np.int64)
        d = session.duration
        ok = self.hours[lo:hi].copy()
        if people:
            index = self.problem.person_index
            for pid in session.participants:
                ok &= self.free[index[pid], lo:hi]
        # The whole duration inside one block and every minute ok: a run of d ok minutes
        # with one block id.
        okc = np.concatenate([[0], np.cumsum(ok, dtype=np.int64)])
        cand = np.arange(0, hi - lo - d + 1, self.step, dtype=np.int64)
        cand = cand[(lo + cand) % self.step == 0]
        full = okc[cand + d] - okc[cand] == d
        same = self.block_id[lo + cand] == self.block_id[lo + cand + d - 1]
        out: IntArray = lo + cand[full & same]
        return out
