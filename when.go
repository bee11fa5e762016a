package eventmap

import (
	"regexp"
	"strconv"
	"strings"
	"time"
	// The zone database in the binary: tz names are checked and shown the
	// same on every machine, whatever the system has installed (scratch
	// containers have none).
	_ "time/tzdata"
)

// An event's local time zone (the tz property) is one of:
//   - a UTC offset, "+03:00" (±hh:mm, -12:00 to +14:00): what a report
//     says ("at 3 a.m. local time") when nothing more is known;
//   - an IANA zone name, "Asia/Damascus", that Go's zone database knows
//     (embedded in the binary): right across daylight-saving changes.
//
// Empty means unknown, and times are shown in UTC. occurred_at itself is
// always stored in UTC: tz only changes how a time is shown, and which
// local day, week or month an imprecise date names.
var (
	// tzShape is the shape of a tz, "" (unknown) included: the JSON
	// Schema's pattern, so it must read the same in ECMAScript.
	tzShape = regexp.MustCompile(`^(([+-](0[0-9]|1[0-4]):[0-5][0-9])|([A-Za-z][A-Za-z0-9_+-]*(/[A-Za-z0-9_+-]+)*))?$`)
	tzRule  = "must be a UTC offset such as +03:00 (-12:00 to +14:00) or an IANA time zone such as Asia/Damascus"
	offset  = regexp.MustCompile(`^[+-][0-9]{2}:[0-9]{2}$`)
)

// ValidTZ tells whether tz is a time zone an event may carry (the empty
// string is not one: it means unknown).
func ValidTZ(tz string) bool {
	return tz != "" && tzShape.MatchString(tz) && Location(tz) != nil
}

// Location is tz as a *time.Location, or nil when tz is empty or not a
// zone we know.
func Location(tz string) *time.Location {
	if offset.MatchString(tz) {
		h, _ := strconv.Atoi(tz[1:3])
		m, _ := strconv.Atoi(tz[4:6])
		secs := h*3600 + m*60
		if secs > 14*3600 || (tz[0] == '-' && secs > 12*3600) {
			return nil
		}
		if tz[0] == '-' {
			secs = -secs
		}
		return time.FixedZone("UTC"+tz, secs)
	}
	// "Local" is the server's own zone, which says nothing about an event.
	if tz == "" || tz == "Local" || !tzShape.MatchString(tz) {
		return nil
	}
	loc, err := time.LoadLocation(tz)
	if err != nil {
		return nil
	}
	return loc
}

// OffsetTZ is the tz a write gets when it gives occurred_at (RFC 3339
// text) but no tz: the timestamp's own offset, when it is not zero. A zero
// offset ("Z", "+00:00") says nothing about the local zone: it is how UTC
// times are written, this server's included, so a merge patch of a served
// event that has no tz must not gain "+00:00".
func OffsetTZ(occurredAt string) string {
	s := strings.TrimSpace(occurredAt)
	if len(s) < 6 {
		return ""
	}
	off := s[len(s)-6:]
	if !offset.MatchString(off) || off[1:] == "00:00" || Location(off) == nil {
		return ""
	}
	return off
}

// When is how a time is shown to people: Text in the event's own zone and
// to its precision, Title the UTC time or the period behind it, for a
// hover (empty when Text says all).
type When struct {
	Text  string `json:"text"`
	Title string `json:"title,omitempty"`
}

// FormatWhen is the one rule for showing an event's time, on the HTML
// pages; static/js/format.js (when) is its twin for the map, and both are
// tested against testdata/when_cases.json:
//
//	exact  19 Oct 2025, 03:00 UTC+03:00   (title: 2025-10-19 00:00 UTC)
//	day    19 Oct 2025
//	week   week of 13 Oct 2025             (title: 13 Oct 2025 – 19 Oct 2025)
//	month  November 2025                   (title: 1 Nov 2025 – 30 Nov 2025)
//
// The date is the local one when tz is known (an IANA zone adds its name:
// "03:00 UTC+03:00 (Asia/Damascus)"), else UTC ("00:00 UTC"). An unknown
// precision is shown as exact; the zero time as "unknown date".
func FormatWhen(t time.Time, precision, tz string) When {
	if t.IsZero() {
		return When{Text: "unknown date"}
	}
	loc := Location(tz)
	if loc == nil {
		loc = time.UTC
	}
	lt := t.In(loc)
	const day = "2 Jan 2006"
	switch precision {
	case "day":
		return When{Text: lt.Format(day)}
	case "week":
		return When{Text: "week of " + lt.Format(day), Title: lt.Format(day) + " – " + lt.AddDate(0, 0, 6).Format(day)}
	case "month":
		first := time.Date(lt.Year(), lt.Month(), 1, 0, 0, 0, 0, loc)
		return When{Text: lt.Format("January 2006"), Title: first.Format(day) + " – " + first.AddDate(0, 1, -1).Format(day)}
	}
	zone := "UTC"
	if loc != time.UTC {
		zone = "UTC" + lt.Format("-07:00")
		if !offset.MatchString(tz) {
			zone += " (" + tz + ")"
		}
	}
	return When{Text: lt.Format(day+", 15:04") + " " + zone, Title: t.UTC().Format("2006-01-02 15:04") + " UTC"}
}
