package hubauth

// lru is a map of at most size entries that forgets the least recently
// used first: the store under both of hubauth's caches (hub answers, and
// opened login cookies). It is not safe for concurrent use; its owner
// holds a lock around every call.
//
// Entries link themselves into the recency list (rather than sitting in a
// container/list element) and carry their owner's expiry as a plain
// number: a flood of junk tokens fills the answer cache with refusals, and
// the smaller each entry is, the less memory a full cache holds (see
// bench/NOTES.md).
type lru[K comparable, V any] struct {
	size    int
	head    lruEntry[K, V] // sentinel: head.next is the most recently used
	count   int
	entries map[K]*lruEntry[K, V]
	// evicted, when set, is told of each entry put pushes out, after it
	// left: the answer cache keeps an index of its own up to date.
	evicted func(*lruEntry[K, V])
}

type lruEntry[K comparable, V any] struct {
	key        K
	val        V
	until      int64 // when the entry stops being valid, in its owner's unit
	prev, next *lruEntry[K, V]
}

func newLRU[K comparable, V any](size int) *lru[K, V] {
	l := &lru[K, V]{
		size: size,
		// Room for twice the bound up front: a full cache that keeps
		// evicting deletes and adds keys all the time, and a map sized
		// for exactly its entries would grow once more to make room for
		// the deleted slots. Reserved now, the cache's memory stays flat
		// under a flood of new keys (bench/NOTES.md).
		entries: make(map[K]*lruEntry[K, V], 2*min(size, 1<<19)),
	}
	l.head.prev, l.head.next = &l.head, &l.head
	return l
}

// lookup finds key's entry and makes it the most recently used; the owner
// checks its validity and removes it if it has run out.
func (l *lru[K, V]) lookup(key K) (*lruEntry[K, V], bool) {
	e, ok := l.entries[key]
	if ok {
		l.unlink(e)
		l.pushFront(e)
	}
	return e, ok
}

// peek finds key's entry without making it the most recently used.
func (l *lru[K, V]) peek(key K) (*lruEntry[K, V], bool) {
	e, ok := l.entries[key]
	return e, ok
}

// put stores val under key as the most recently used entry, evicting the
// least recently used ones to stay within size, and returns the entry.
func (l *lru[K, V]) put(key K, val V, until int64) *lruEntry[K, V] {
	if e, ok := l.entries[key]; ok {
		e.val, e.until = val, until
		l.unlink(e)
		l.pushFront(e)
		return e
	}
	e := &lruEntry[K, V]{key: key, val: val, until: until}
	l.entries[key] = e
	l.pushFront(e)
	l.count++
	for l.count > l.size {
		old := l.head.prev
		l.remove(old)
		if l.evicted != nil {
			l.evicted(old)
		}
	}
	return e
}

func (l *lru[K, V]) remove(e *lruEntry[K, V]) {
	l.unlink(e)
	delete(l.entries, e.key)
	l.count--
}

func (l *lru[K, V]) pushFront(e *lruEntry[K, V]) {
	e.prev, e.next = &l.head, l.head.next
	l.head.next.prev = e
	l.head.next = e
}

func (l *lru[K, V]) unlink(e *lruEntry[K, V]) {
	e.prev.next = e.next
	e.next.prev = e.prev
	e.prev, e.next = nil, nil
}
