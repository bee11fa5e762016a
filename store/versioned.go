package store

import "sync"

// versionedCache keeps answers that are a function of the dataset version
// (migrations/00012_dataset_version.sql) and of a request: numberMatched
// of a filter, the collection's extent. Keys carry the version read in
// the reader's snapshot, and every write that commits moves the version
// in the same transaction, so an entry is exact for every snapshot that
// reads its version and is never found by a later one. Nothing expires
// it; entries of past versions stay until the cache is full, and then it
// starts again empty (cheaper than tracking use, and a full cache means
// the data or the requests are moving anyway).
type versionedCache[V any] struct {
	mu  sync.Mutex
	max int
	m   map[string]V
}

func newVersionedCache[V any](max int) *versionedCache[V] {
	return &versionedCache[V]{max: max, m: make(map[string]V)}
}

func (c *versionedCache[V]) get(key string) (V, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	v, ok := c.m[key]
	return v, ok
}

func (c *versionedCache[V]) put(key string, v V) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.m) >= c.max {
		clear(c.m)
	}
	c.m[key] = v
}
