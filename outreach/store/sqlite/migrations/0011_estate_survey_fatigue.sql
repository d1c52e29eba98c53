-- An estate's own survey fatigue window (Estate.SurveyFatigue);
-- empty keeps the daemon's OUTREACH_SURVEY_FATIGUE.

ALTER TABLE estates ADD COLUMN survey_fatigue TEXT NOT NULL DEFAULT '';
