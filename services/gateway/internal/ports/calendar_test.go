package ports

import "testing"

func TestLoggedPathHidesFeedToken(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"/v1/calendar-feeds/01ABCsecret/agenda.ics": "/v1/calendar-feeds/{token}/agenda.ics",
		"/v1/calendar-feeds/01ABCsecret":            "/v1/calendar-feeds/{token}",
		"/calendar-feeds/01ABCsecret/agenda.ics":    "/calendar-feeds/{token}/agenda.ics",
		"/v1/events/e1/participants/p1/agenda.ics":  "/v1/events/e1/participants/p1/agenda.ics",
	} {
		if got := loggedPath(in); got != want {
			t.Errorf("loggedPath(%q) = %q, want %q", in, got, want)
		}
	}
}
