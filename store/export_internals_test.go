package store

// SetExportBatchForTest makes ExportEvents read n rows a batch at a time
// until restore is called, so a test crosses many batch boundaries with
// few events. Tests that call it must not run in parallel with exports.
func SetExportBatchForTest(n int) (restore func()) {
	old := exportBatch
	exportBatch = n
	return func() { exportBatch = old }
}

// SetExportChunkBytesForTest makes ExportEvents hand on chunks of about n
// bytes until restore is called, so a test crosses many chunk boundaries
// within one batch. Tests that call it must not run in parallel with
// exports.
func SetExportChunkBytesForTest(n int) (restore func()) {
	old := exportChunkBytes
	exportChunkBytes = n
	return func() { exportChunkBytes = old }
}
