package postgres

// SchemaVersion is the version the migrations bring a schema to.
var SchemaVersion = len(migrations)
