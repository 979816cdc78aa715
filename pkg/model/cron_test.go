package model

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// CronJob schedules as the API server reads them (five fields or a descriptor; no time zone).
func TestCheckSchedule(t *testing.T) {
	for _, tt := range []struct {
		schedule string
		want     string // "" when valid; else part of the error
	}{
		{"*/5 * * * *", ""},
		{"0 9-17 * * MON-FRI", ""},
		{"15 2 1,15 jan-jun ?", ""},
		{"@hourly", ""},
		{"@every 1h30m", ""},
		{"60 * * * *", `minute field "60": 60 is outside 0-59`},
		{"* * * * 7", `day of week field "7": 7 is outside 0-6`},
		{"5-1 * * * *", "beginning of range (5) beyond end of range (1)"},
		{"*/0 * * * *", `step "0" is not a positive number`},
		{"every five minutes", "expected exactly 5 fields"},
		{"TZ=UTC 0 * * * *", "use spec.timeZone"},
		{"@sometimes", "unrecognized descriptor"},
		{"@every soon", "@every takes a positive duration"},
	} {
		t.Run(tt.schedule, func(t *testing.T) {
			err := checkSchedule(tt.schedule)
			if tt.want == "" {
				assert.NoError(t, err)
				return
			}
			assert.ErrorContains(t, err, tt.want)
		})
	}
}
