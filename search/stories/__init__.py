"""Stories: the copies of one article (syndicated, re-filed, re-headlined) grouped under one id.

Contract:

- Enters: articles as ``id``, ``title``, ``body``, ``date`` (the article dict of
  ``docs/ARCHITECTURE.md``; ``date`` is ``YYYY-MM-DD``, ``YYYY-MM``, ``YYYY`` or None). The title
  is not evidence: a copy often has another headline.
- Leaves: a story id for every article: the id of the story's first publication (earliest date,
  then smallest id; undated articles after dated ones), the article's own id when it has no copy.
  A change renames only the stories it joins or splits.
- Exact copies: bodies of at least ``MIN_WORDS`` words whose folded words (``search.text.fold``,
  lower case, punctuation and whitespace dropped) are the same, whatever their dates. Shorter
  bodies, empty ones included, are never grouped.
- Near copies: the same dispatch with another lead, headline or footer: 5-word shingles, MinHash
  (128 values, fixed seed) and LSH bands give candidates, each verified on its shingle sets
  (Jaccard ≥ ``JACCARD`` or containment of the smaller ≥ ``CONTAINMENT``) and dates (at most
  ``MAX_DAYS`` days apart). Groups are the connected components of these pairs, except that a
  containment-only pair never joins through a digest (a page holding several stories) nor
  through a text found inside several stories (a shared « À lire aussi » block).
- Deterministic: the same articles give the same stories, whatever the order they were added
  in and whether they were added at once or one at a time.
- Incremental: ``StoryIndex`` keeps each article's evidence (key, day span, signature, shingles),
  never its body; ``save(folder)``/``StoryIndex.load(folder)`` write and read it as plain files
  (``search.stories.store``), ``StaleStories`` when they were built with other evidence parameters.
- Bounded memory: the shingle sets and the signatures of new articles wait on disk
  (``search.stories.sets``: spilled into ``spill_dir`` as they are made, sets read back only by
  the pairs that need them), so that adding articles holds about 0.5 KB each in memory (id, key,
  day span, set size) and grouping them 512 bytes more (the signatures, in one array). Candidate
  pairs come a chunk at a time, each once (with the first band that gives it), never all held;
  a pair dated too far apart to link is dropped before its sets are read.

```python
from search.stories import StoryIndex, group
group(articles)                     # {article id: story id}
idx = StoryIndex(spill_dir=None); idx.add(id, title, body, date); idx.remove(id)
idx.story_of(id); idx.members(story_id); idx.stories(); idx.save(folder); StoryIndex.load(folder)
```
"""

from search.stories.index import StoryIndex, group
from search.stories.link import CONTAINMENT, JACCARD, MAX_DAYS, MIN_WORDS, Thresholds
from search.stories.store import StaleStories

__all__ = ["CONTAINMENT", "JACCARD", "MAX_DAYS", "MIN_WORDS", "StaleStories", "StoryIndex", "Thresholds", "group"]
