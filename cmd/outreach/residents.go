package main

// residentsCmd imports residents and reads and edits their profiles.
type residentsCmd struct {
	Import residentsImportCmd `cmd:"" help:"import residents from a CSV or XLSX file (upsert by id); exit 0 all rows good, 1 some bad, 2 nothing imported"`
	List   residentsListCmd   `cmd:"" help:"list residents"`
	Show   residentsShowCmd   `cmd:"" help:"show a resident's profile"`
	Set    residentsSetCmd    `cmd:"" help:"change a resident's profile; fields: ${resident_fields}; tags and channels take a;b lists; opt_out/opt_in take a channel (sms) or a kind (holiday_greeting); attr.KEY= (empty) removes the attribute"`
}

// residentArg is the resident a command is about.
type residentArg struct {
	ID string `arg:"" name:"ID" help:"the resident's id"`
}
