package api

import (
	"errors"
	"net/http"
	"slices"

	"github.com/outreach-dev/outreach/outreach"
)

// Who may see what: a token limited to estates (outreach.Token.Estates)
// reaches only the residents, campaigns, archive records and estates of
// those estates. To it, a record of another estate does not exist: every
// route answers exactly what it answers for an id nobody has (404), so
// that a limited token cannot learn which ids other estates use. Lists are
// filtered in the store (Filter.Estates, ResidentFilter.Estates), never
// after a page was cut. Without a token (authentication off) and with an
// unlimited token every estate is seen.

// tokenOf is the request's token; the zero token (unlimited, no scopes)
// when authentication is off.
func tokenOf(r *http.Request) outreach.Token {
	t, _ := TokenFrom(r.Context())
	return t
}

// limitOf is the estates the request's token is limited to, nil for none:
// what goes into Filter.Estates and ResidentFilter.Estates.
func limitOf(r *http.Request) []string {
	t := tokenOf(r)
	if !t.Limited() {
		return nil
	}
	return slices.Clone(t.Estates)
}

// sees reports whether the request's token may see records of estate (""
// is the default estate).
func sees(r *http.Request, estate string) bool { return tokenOf(r).Sees(estate) }

// seesAudience reports whether the request's token may see what is sent
// to audience a: a limited token only an audience within one of its
// estates (an audience of every estate is nobody's in particular, so only
// an unlimited token sees it).
func seesAudience(r *http.Request, a outreach.Audience) bool {
	t := tokenOf(r)
	if !t.Limited() {
		return true
	}
	return a.Estate != "" && t.Sees(a.Estate)
}

// pinAudience settles the estate of an audience posted with the request's
// token (a job's or a campaign's; field names it in errors, e.g.
// "audience.estate"): an unlimited token may leave it out (every estate);
// a token limited to one estate gets its audience pinned to that estate,
// one limited to several must name one (400). An estate the token does
// not see is not found (404), as if it did not exist.
func pinAudience(r *http.Request, a *outreach.Audience, field string) *apiError {
	t := tokenOf(r)
	if !t.Limited() {
		return nil
	}
	switch {
	case a.Estate == "" && len(t.Estates) == 1:
		a.Estate = t.Estates[0]
	case a.Estate == "":
		return errorf(http.StatusBadRequest, field, "%s: required: the token is limited to the estates %v; name one of them", field, t.Estates)
	case !t.Sees(a.Estate):
		return estateNotFound(a.Estate)
	}
	return nil
}

// pinResident settles the estate of a resident written with the request's
// token, as pinAudience does for audiences: empty from a token limited to
// one estate is that estate, from one limited to several a 400 naming
// field; an estate the token does not see is not found.
func pinResident(r *http.Request, res *outreach.Resident, field string) *apiError {
	a := outreach.Audience{Estate: res.Estate}
	if e := pinAudience(r, &a, field); e != nil {
		return e
	}
	res.Estate = a.Estate
	return nil
}

// knownEstate checks that the estate a request names (an audience's, an
// inline resident's; field names it) exists, so that a job or campaign
// for an estate nobody configured is refused at once rather than
// dead-lettered or sent to nobody: 400 naming field, or for a limited
// token 404 (as pinAudience answers for an estate it does not see). ""
// (every estate, or the default one) and a nil store pass.
func knownEstate(r *http.Request, st outreach.EstateStore, estate, field string) (*apiError, error) {
	if estate == "" || st == nil {
		return nil, nil
	}
	_, err := st.Estate(r.Context(), estate)
	switch {
	case err == nil:
		return nil, nil
	case !errors.Is(err, outreach.ErrNotFound):
		return nil, err
	case tokenOf(r).Limited():
		return estateNotFound(estate), nil
	}
	return errorf(http.StatusBadRequest, field, "%s: unknown estate %q (create it first: POST /v1/estates or `outreach estates add`)", field, estate), nil
}

// estateNotFound is the answer for an estate that does not exist, or that
// the token may not see: the same, so that neither can be told apart.
func estateNotFound(id string) *apiError {
	return errorf(http.StatusNotFound, "estate", "estate %q not found", id)
}
