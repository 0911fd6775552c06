package webui

import (
	"context"
	"net/url"
	"strings"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	profilesv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/profiles/v1"
)

// Enum choices the forms offer, in display order (the zero values are not
// choices).
var (
	sectorChoices     = enumValues[profilesv1.Sector](profilesv1.Sector_name)
	kindChoices       = enumValues[profilesv1.OrganizationKind](profilesv1.OrganizationKind_name)
	sizeChoices       = enumValues[profilesv1.SizeBand](profilesv1.SizeBand_name)
	visibilityChoices = enumValues[profilesv1.Visibility](profilesv1.Visibility_name)
)

func enumValues[E ~int32](names map[int32]string) []E {
	out := make([]E, 0, len(names))
	for i := int32(1); int(i) < len(names)+1; i++ {
		if _, ok := names[i]; ok {
			out = append(out, E(i))
		}
	}
	return out
}

// orgFields are the organisation fields the form edits; memberships, kind
// and external ids stay as they are.
var orgFields = []string{"name", "short_name", "country_code", "nuts_code", "city", "website", "size_band", "sectors", "nace_codes", "description", "visibility", "contact"}

// decodeOrgForm reads the organisation form.
func decodeOrgForm(v url.Values) (*profilesv1.Organization, int64, fieldErrs) {
	errs := fieldErrs{}
	o := &profilesv1.Organization{
		Id:          text(v, "id", 40, errs),
		Name:        text(v, "name", 200, errs),
		ShortName:   text(v, "short_name", 50, errs),
		CountryCode: strings.ToUpper(text(v, "country_code", 2, errs)),
		NutsCode:    strings.ToUpper(text(v, "nuts_code", 5, errs)),
		City:        text(v, "city", 200, errs),
		Website:     text(v, "website", 2000, errs),
		SizeBand:    enum[profilesv1.SizeBand](v, "size_band", profilesv1.SizeBand_value, errs),
		Sectors:     enums[profilesv1.Sector](v, "sector", profilesv1.Sector_value, errs),
		Description: text(v, "description", maxText, errs),
		Visibility:  enum[profilesv1.Visibility](v, "visibility", profilesv1.Visibility_value, errs),
		Contact:     decodeContact(v, errs),
	}
	for _, n := range strings.Split(text(v, "nace_codes", maxLine, errs), ",") {
		if n = strings.TrimSpace(n); n != "" {
			o.NaceCodes = append(o.NaceCodes, n)
		}
	}
	version := int64(number(v, "version", 0, 1<<30, 0, errs))
	return o, version, errs
}

func decodeContact(v url.Values, errs fieldErrs) *profilesv1.Contact {
	return &profilesv1.Contact{
		Name:           text(v, "contact.name", 200, errs),
		Email:          text(v, "contact.email", 320, errs),
		Phone:          text(v, "contact.phone", 32, errs),
		ConsentToShare: v.Get("contact.consent_to_share") == "on",
	}
}

type orgView struct {
	Org          *profilesv1.Organization
	Sectors      []profilesv1.Sector
	Sizes        []profilesv1.SizeBand
	Visibilities []profilesv1.Visibility
}

func newOrgView(o *profilesv1.Organization) orgView {
	return orgView{Org: o, Sectors: sectorChoices, Sizes: sizeChoices, Visibilities: visibilityChoices}
}

func (u *UI) orgPage(c *call) error {
	if c.user.Organization == "" {
		return c.render("message", "org.title", messageView{Title: "org.title", Text: "org.none"}, nil)
	}
	ctx, cancel := c.ctx()
	defer cancel()
	res, err := u.opts.Profiles.GetOrganization(ctx, &profilesv1.GetOrganizationRequest{Id: c.user.Organization})
	if err != nil {
		return err
	}
	return c.render("org", "org.title", newOrgView(res.GetOrganization()), nil)
}

func (u *UI) orgSave(c *call) error {
	o, version, errs := decodeOrgForm(c.r.PostForm)
	o.Id = c.user.Organization
	ctx, cancel := c.ctx()
	defer cancel()
	if p := errs.problem(c.L); p != nil {
		u.keepKind(ctx, o)
		return c.render("org", "org.title", newOrgView(o), p)
	}
	_, err := u.opts.Profiles.UpdateOrganization(ctx, &profilesv1.UpdateOrganizationRequest{
		Organization: o, ExpectedVersion: version, UpdateMask: &fieldmaskpb.FieldMask{Paths: orgFields},
	})
	if err != nil {
		if status.Code(err) == codes.Unauthenticated {
			return err
		}
		o.Version = version
		u.keepKind(ctx, o)
		return c.render("org", "org.title", newOrgView(o), problemFrom(c.L, err))
	}
	return c.redirect("/org", "saved")
}

// keepKind gives the form shown again after a refusal the organisation's
// kind, which the form does not edit, so the page does not say "Not
// stated" beside what was typed.
func (u *UI) keepKind(ctx context.Context, o *profilesv1.Organization) {
	if res, err := u.opts.Profiles.GetOrganization(ctx, &profilesv1.GetOrganizationRequest{Id: o.GetId()}); err == nil {
		o.Kind = res.GetOrganization().GetKind()
	}
}

// personFields are the person fields the form edits.
var personFields = []string{"name", "role", "orcid", "bio", "visibility", "contact"}

func decodePersonForm(v url.Values) (*profilesv1.Person, int64, fieldErrs) {
	errs := fieldErrs{}
	p := &profilesv1.Person{
		Name:       text(v, "name", 200, errs),
		Role:       text(v, "role", 200, errs),
		Orcid:      strings.ToUpper(text(v, "orcid", 19, errs)),
		Bio:        text(v, "bio", maxText, errs),
		Visibility: enum[profilesv1.Visibility](v, "visibility", profilesv1.Visibility_value, errs),
		Contact:    decodeContact(v, errs),
	}
	version := int64(number(v, "version", 0, 1<<30, 0, errs))
	return p, version, errs
}

type personView struct {
	Person       *profilesv1.Person
	Visibilities []profilesv1.Visibility
}

func (u *UI) mePage(c *call) error {
	id := c.personID()
	if id == "" {
		return c.render("message", "me.title", messageView{Title: "me.title", Text: "me.none"}, nil)
	}
	ctx, cancel := c.ctx()
	defer cancel()
	res, err := u.opts.Profiles.GetPerson(ctx, &profilesv1.GetPersonRequest{Id: id})
	if err != nil {
		return err
	}
	return c.render("me", "me.title", personView{Person: res.GetPerson(), Visibilities: visibilityChoices}, nil)
}

func (u *UI) meSave(c *call) error {
	p, version, errs := decodePersonForm(c.r.PostForm)
	p.Id = c.personID()
	if p.Id == "" {
		return status.Error(codes.NotFound, "no person profile")
	}
	if pr := errs.problem(c.L); pr != nil {
		return c.render("me", "me.title", personView{Person: p, Visibilities: visibilityChoices}, pr)
	}
	ctx, cancel := c.ctx()
	defer cancel()
	_, err := u.opts.Profiles.UpdatePerson(ctx, &profilesv1.UpdatePersonRequest{
		Person: p, ExpectedVersion: version, UpdateMask: &fieldmaskpb.FieldMask{Paths: personFields},
	})
	if err != nil {
		if status.Code(err) == codes.Unauthenticated {
			return err
		}
		p.Version = version
		return c.render("me", "me.title", personView{Person: p, Visibilities: visibilityChoices}, problemFrom(c.L, err))
	}
	return c.redirect("/me", "saved")
}

// The contact and visibility partials read these from either view.

func (v orgView) ContactName() string  { return v.Org.GetContact().GetName() }
func (v orgView) ContactEmail() string { return v.Org.GetContact().GetEmail() }
func (v orgView) ContactPhone() string { return v.Org.GetContact().GetPhone() }
func (v orgView) Consent() bool        { return v.Org.GetContact().GetConsentToShare() }
func (v orgView) Visibility() profilesv1.Visibility {
	return v.Org.GetVisibility()
}

func (v personView) ContactName() string  { return v.Person.GetContact().GetName() }
func (v personView) ContactEmail() string { return v.Person.GetContact().GetEmail() }
func (v personView) ContactPhone() string { return v.Person.GetContact().GetPhone() }
func (v personView) Consent() bool        { return v.Person.GetContact().GetConsentToShare() }
func (v personView) Visibility() profilesv1.Visibility {
	return v.Person.GetVisibility()
}
