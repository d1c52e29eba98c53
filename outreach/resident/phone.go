package resident

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode"

	"github.com/nyaruka/phonenumbers"
)

// ErrInvalidPhone is wrapped by every NormalizePhone failure.
var ErrInvalidPhone = errors.New("invalid phone number")

// NormalizePhone turns a phone number as people write it into E.164
// ("+8613800138000"). Numbers without a country code are read in region
// (ISO 3166 code such as "CN" or "US"; case-insensitive); with region "" only
// numbers that carry a country code ("+44 ...") are accepted.
//
// It accepts local formats ("138 0013 8000", "(0755) 8888 8888"), a country
// code with "+" or the region's international prefix ("0086 ..." in CN), and
// full-width digits. It rejects numbers that phonenumbers says are invalid,
// numbers in scientific notation (Excel's "1.38001E+10", digits lost),
// numbers containing letters (vanity numbers, "ext. 12", "转 12") and numbers
// with an extension, which E.164 and SMS cannot carry.
//
// The errors wrap ErrInvalidPhone and never contain the number itself, so
// they are safe to log.
func NormalizePhone(raw, region string) (string, error) {
	s := strings.TrimSpace(raw)
	if s == "" {
		return "", fmt.Errorf("%w: empty", ErrInvalidPhone)
	}
	if _, err := strconv.ParseFloat(s, 64); err == nil && strings.ContainsAny(s, "eE") {
		// What Excel writes for a long number in a narrow column, in CSV.
		return "", fmt.Errorf("%w: in scientific notation like 1.38E+10, which has lost digits "+
			"(format the column as text in the spreadsheet and export it again)", ErrInvalidPhone)
	}
	if strings.IndexFunc(s, unicode.IsLetter) >= 0 {
		return "", fmt.Errorf("%w: contains letters", ErrInvalidPhone)
	}
	region = strings.ToUpper(strings.TrimSpace(region))
	num, err := phonenumbers.Parse(s, region)
	if err != nil {
		return "", fmt.Errorf("%w: parse: %w", ErrInvalidPhone, err)
	}
	if num.GetExtension() != "" {
		return "", fmt.Errorf("%w: has an extension, which E.164 cannot carry", ErrInvalidPhone)
	}
	if !phonenumbers.IsValidNumber(num) {
		if region == "" {
			return "", fmt.Errorf("%w: not a valid number", ErrInvalidPhone)
		}
		return "", fmt.Errorf("%w: not a valid number (default region %s)", ErrInvalidPhone, region)
	}
	return phonenumbers.Format(num, phonenumbers.E164), nil
}

// knownRegion reports whether phonenumbers has metadata for region.
func knownRegion(region string) bool {
	return phonenumbers.GetCountryCodeForRegion(region) != 0
}
