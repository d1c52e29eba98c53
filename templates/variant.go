package templates

import (
	"strings"

	"github.com/outreach-dev/outreach/outreach"
)

// The variants the built-in set is written in, chosen from the resident's
// tags by VariantFor.
const (
	// VariantElderly is plainer: short sentences, larger type in HTML, and
	// the phone number to call in every message. Its templates require the
	// job's data "contact" (the number to call); a job for an elderly
	// resident without it fails with a *MissingVariableError naming
	// "contact", as any missing variable does.
	VariantElderly = "elderly"
	// VariantNewResident adds a friendly welcome line and the context a
	// newcomer lacks. It requires the same data as the default variant.
	VariantNewResident = "new_resident"
)

// variantTags are the tags that choose a variant, strongest first.
var variantTags = []string{VariantElderly, VariantNewResident}

// VariantFor chooses the variant of a resident's messages from their tags:
// "elderly" wins over "new_resident" (plain words and a number to call
// matter more than a welcome line), and a resident with neither gets
// DefaultVariant. Tags match ignoring case and surrounding space. A
// template without the chosen variant renders its default one (see
// Set.Render), so the choice is always safe to pass as Input.Variant.
func VariantFor(r outreach.Resident) string {
	for _, v := range variantTags {
		for _, t := range r.Tags {
			if strings.EqualFold(strings.TrimSpace(t), v) {
				return v
			}
		}
	}
	return DefaultVariant
}
