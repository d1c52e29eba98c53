// Package survey is the satisfaction loop: every satisfaction_callback a
// resident is sent opens a survey (outreach.Survey) scored 1-5 by SMS
// reply or by a signed one-click link in the email; a low score escalates
// to the estate's staff with a call-back task; surveys expire; and the
// satisfaction report gives the satisfied rate (share of 4-5 answers)
// that the property manager reviews under 70%. See docs/surveys.md.
package survey
