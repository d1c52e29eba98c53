// Package resident reads resident directories for `outreach residents
// import`: CSV files (ParseCSV: UTF-8, GB18030/GBK or UTF-16, detected or
// chosen) and Excel workbooks (ParseXLSX), with a header row
//
//	id,name,email,phone,locale,building,unit,tags,channels
//
// in any order and any case; only id and name are required, plus one of
// email and phone. Other columns become Resident.Attributes for templates.
// Phones are normalized to E.164. Bad rows are reported by line number and
// left out; good rows are kept. DetectFormat tells the formats apart. See
// ParseCSV for the rules.
package resident
