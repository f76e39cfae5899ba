// Expand an iCalendar feed with Mozilla's ical.js (the parser Thunderbird uses), for
// tests/test_feeds.py: reads the .ics from stdin, expands every event over the window given as
// two ISO instants, and prints one JSON array of occurrences (UTC start and end, UID, STATUS,
// SEQUENCE, SUMMARY). Run with TZ=UTC, so that a time whose zone ical.js cannot resolve shows
// up as a wrong instant instead of passing by luck.
//
//   node parse_ics.mjs 2026-11-01T16:00:00Z 2027-05-31T16:00:00Z < feed.ics

import { readFileSync } from "node:fs";
import ICAL from "ical.js";

const [startArg, endArg] = process.argv.slice(2);
if (!startArg || !endArg) {
  console.error("usage: node parse_ics.mjs WINDOW_START WINDOW_END < feed.ics");
  process.exit(2);
}
const windowStart = new Date(startArg);
const windowEnd = new Date(endArg);

const calendar = new ICAL.Component(ICAL.parse(readFileSync(0, "utf8")));
for (const vtimezone of calendar.getAllSubcomponents("vtimezone")) {
  ICAL.TimezoneService.register(vtimezone);
}

// Masters and plain events by UID; RECURRENCE-ID overrides are related to their master.
const masters = new Map();
const exceptions = [];
for (const vevent of calendar.getAllSubcomponents("vevent")) {
  if (vevent.hasProperty("recurrence-id")) {
    exceptions.push(vevent);
  } else {
    const uid = vevent.getFirstPropertyValue("uid");
    if (masters.has(uid)) throw new Error(`two events with UID ${uid} and no RECURRENCE-ID`);
    masters.set(uid, new ICAL.Event(vevent, { strictExceptions: true, exceptions: [] }));
  }
}
for (const vevent of exceptions) {
  const uid = vevent.getFirstPropertyValue("uid");
  const master = masters.get(uid);
  if (!master) throw new Error(`RECURRENCE-ID override of unknown UID ${uid}`);
  master.relateException(vevent);
}

const occurrences = [];
function add(item, start, end) {
  const from = start.toJSDate();
  const to = end.toJSDate();
  if (from < windowEnd && to > windowStart) {
    const component = item.component;
    occurrences.push({
      uid: item.uid,
      start: from.toISOString(),
      end: to.toISOString(),
      status: component.getFirstPropertyValue("status"),
      sequence: component.getFirstPropertyValue("sequence"),
      summary: item.summary,
      recurrence_id: item.recurrenceId ? item.recurrenceId.toJSDate().toISOString() : null,
    });
  }
}

// A moved occurrence may land up to this far from its original time.
const slack = 366 * 24 * 3600 * 1000;
for (const event of masters.values()) {
  if (!event.isRecurring()) {
    add(event, event.startDate, event.endDate);
    continue;
  }
  const iterator = event.iterator();
  for (let next = iterator.next(); next; next = iterator.next()) {
    if (next.toJSDate().getTime() > windowEnd.getTime() + slack) break;
    const details = event.getOccurrenceDetails(next);
    add(details.item, details.startDate, details.endDate);
  }
}
occurrences.sort((a, b) => (a.start + a.uid < b.start + b.uid ? -1 : 1));
process.stdout.write(JSON.stringify(occurrences));
