package model

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// cronField is one field of a standard cron schedule: its name, bounds and the names it accepts.
type cronField struct {
	name     string
	min, max int
	names    []string // names[i] stands for min+i (months JAN.., weekdays SUN..)
}

var cronFields = []cronField{
	{name: "minute", min: 0, max: 59},
	{name: "hour", min: 0, max: 23},
	{name: "day of month", min: 1, max: 31},
	{name: "month", min: 1, max: 12, names: strings.Fields("JAN FEB MAR APR MAY JUN JUL AUG SEP OCT NOV DEC")},
	{name: "day of week", min: 0, max: 6, names: strings.Fields("SUN MON TUE WED THU FRI SAT")},
}

// cronDescriptors are the @ shorthands a CronJob schedule accepts besides @every <duration>.
var cronDescriptors = []string{"@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly"}

// checkSchedule checks a CronJob schedule as the API server does: five fields (minute, hour, day of month,
// month, day of week), each a list of *, ?, values or ranges with an optional /step, names for months and
// weekdays; or a descriptor (@daily, @every 1h30m, ...). A time zone belongs in spec.timeZone.
func checkSchedule(s string) error {
	s = strings.TrimSpace(s)
	if strings.HasPrefix(s, "TZ=") || strings.HasPrefix(s, "CRON_TZ=") {
		return fmt.Errorf("CRON_TZ or TZ is not supported in the schedule: use spec.timeZone")
	}
	if strings.HasPrefix(s, "@") {
		if rest, ok := strings.CutPrefix(s, "@every "); ok {
			if d, err := time.ParseDuration(strings.TrimSpace(rest)); err != nil || d <= 0 {
				return fmt.Errorf("invalid schedule %q: @every takes a positive duration, like @every 1h30m", s)
			}
			return nil
		}
		for _, d := range cronDescriptors {
			if strings.EqualFold(s, d) {
				return nil
			}
		}
		return fmt.Errorf("invalid schedule %q: unrecognized descriptor (use %s or @every <duration>)", s, strings.Join(cronDescriptors, ", "))
	}
	fields := strings.Fields(s)
	if len(fields) != len(cronFields) {
		return fmt.Errorf("invalid schedule %q: expected exactly 5 fields (minute hour day-of-month month day-of-week), found %d", s, len(fields))
	}
	for i, f := range fields {
		for _, item := range strings.Split(f, ",") {
			if err := cronFields[i].check(item); err != nil {
				return fmt.Errorf("invalid schedule %q: %s field %q: %w", s, cronFields[i].name, item, err)
			}
		}
	}
	return nil
}

// check checks one item of a field: *, ?, a value or a range, with an optional /step.
func (c cronField) check(item string) error {
	rng, step, hasStep := strings.Cut(item, "/")
	if hasStep {
		n, err := strconv.Atoi(step)
		if err != nil || n <= 0 {
			return fmt.Errorf("step %q is not a positive number", step)
		}
	}
	if rng == "*" || rng == "?" {
		return nil
	}
	lo, hi, isRange := strings.Cut(rng, "-")
	start, err := c.value(lo)
	if err != nil {
		return err
	}
	if !isRange {
		return nil
	}
	end, err := c.value(hi)
	if err != nil {
		return err
	}
	if start > end {
		return fmt.Errorf("beginning of range (%d) beyond end of range (%d)", start, end)
	}
	return nil
}

// value is a number within the field's bounds or one of its names.
func (c cronField) value(s string) (int, error) {
	for i, n := range c.names {
		if strings.EqualFold(s, n) {
			return c.min + i, nil
		}
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		return 0, fmt.Errorf("%q is not a number", s)
	}
	if n < c.min || n > c.max {
		return 0, fmt.Errorf("%d is outside %d-%d", n, c.min, c.max)
	}
	return n, nil
}
