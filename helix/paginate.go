package helix

import (
	"context"
	"fmt"
	"iter"
)

// pages yields the items of page after page. fetch gets the page that
// *after names and returns its items and the cursor of the next one; pages
// moves *after along. It ends after a page without a cursor or without
// items (Twitch sometimes sends a cursor with an empty last page), at the
// first error, which it yields, or when the caller stops.
func pages[T any](ctx context.Context, after *string, fetch func(context.Context) ([]T, string, error)) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		var zero T
		for {
			if err := ctx.Err(); err != nil {
				yield(zero, err)
				return
			}
			items, cursor, err := fetch(ctx)
			if err != nil {
				yield(zero, err)
				return
			}
			for _, item := range items {
				if !yield(item, nil) {
					return
				}
			}
			if cursor == "" || len(items) == 0 {
				return
			}
			if cursor == *after {
				// The same page again would never end.
				yield(zero, fmt.Errorf("helix: the cursor did not move past %q", cursor))
				return
			}
			*after = cursor
		}
	}
}
