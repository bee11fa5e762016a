package store

// SetExportBatchForTest makes ExportEvents read n rows a batch at a time
// until restore is called, so a test crosses many batch boundaries with
// few events. Tests that call it must not run in parallel with exports.
func SetExportBatchForTest(n int) (restore func()) {
	old := exportBatch
	exportBatch = n
	return func() { exportBatch = old }
}
