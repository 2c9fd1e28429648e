package ports

import (
	eventsv1 "github.com/tasharuk/tasharuk/api/tasharuk/programmes/events/v1"
	programmesv1 "github.com/tasharuk/tasharuk/api/tasharuk/programmes/v1"
)

// progress is the event a RecordProgress request asks for.
func progress(r *programmesv1.RecordProgressRequest) *eventsv1.ProgressRecorded {
	return &eventsv1.ProgressRecorded{ProjectId: r.GetProjectId(), Date: r.GetDate(), Percent: r.GetPercent(), Status: r.GetStatus(),
		Spend: r.GetSpend(), Reasons: r.GetReasons(), EvidenceSha256: r.GetEvidenceSha256()}
}
