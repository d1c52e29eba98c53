package resident_test

import (
	"fmt"
	"strings"

	"github.com/outreach-dev/outreach/outreach/resident"
)

func ExampleParseCSV() {
	file := "\uFEFFid,name,email,phone,locale,building,unit,tags,channels,floor\r\n" +
		"r-1,张伟,zhang.wei@example.com,138 0013 8000,zh_CN,1,101,elderly,sms;email,1\r\n" +
		"r-2,Emily Carter,,not a phone,en,2,1203,,,12\r\n"

	res, err := resident.ParseCSV(strings.NewReader(file), resident.Options{DefaultRegion: "CN"})
	if err != nil {
		fmt.Println("cannot import:", err)
		return
	}
	for _, r := range res.Residents {
		fmt.Println(r.ID, r.Name, r.Phone, r.Locale, r.Tags, r.Channels, r.Attributes)
	}
	for _, e := range res.Errors {
		fmt.Println(e)
	}
	fmt.Printf("%d of %d rows imported\n", len(res.Residents), res.Rows)
	// Output:
	// r-1 张伟 +8613800138000 zh-CN [elderly] [sms email] map[floor:1]
	// line 3: phone: invalid phone number: contains letters
	// 1 of 2 rows imported
}
