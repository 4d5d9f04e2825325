"""Tokenisers for the CBOW model.

``tokenize`` is the NLP course's preprocessing, reproduced without NLTK:

1. ``re.sub(r"[,!?;-]", ".", text)`` -- the course turns most punctuation into periods;
2. split the text into sentences the way NLTK 3.5's pretrained Punkt model does;
3. split each sentence into words the way NLTK 3.5's Treebank word tokenizer does;
4. keep the lower-cased tokens that are alphabetic or ``"."``.

Steps 2 and 3 matter because Treebank only separates the period that ends a *sentence*:
``"ill."`` in the middle of a sentence stays one token and is then dropped by step 4.
Only the parts of Punkt and Treebank that can change which alphabetic tokens come out
are reproduced here, and Punkt's trained English model is reduced to the facts that
decide sentence breaks in the course's Shakespeare text (see ``_ABBREVIATIONS`` and
below).  On ``shakespeare.txt`` the result is exactly the course's token list.

``simple_tokenize`` is the fast splitter the embedding trainer uses on large corpora:
lower-cased runs of letters.
"""
from __future__ import annotations

import re

# --- Punkt: sentence boundaries ------------------------------------------------------
#
# Punkt considers every period (and ? and !) followed by whitespace or by closing
# punctuation as a candidate sentence end, then decides from the token before the period
# and the token after it.  Its English model learned, from a news corpus, which words are
# abbreviations, which words start sentences, and in which case each word appears.  The
# word lists below are facts read from that model (NLTK 3.5's english.pickle; NLTK is
# Apache-2.0 licensed); no NLTK code is used.

# Abbreviations of Punkt's English model that can appear in prose: a period after them
# does not end a sentence unless the next word clearly starts one.  Single letters here
# ("v." as in "ACT V.") never end a sentence.
_ABBREVIATIONS = frozenset("""
    ala adm ariz aug ave bros c calif chg cie co col colo conn corp cos ct d dec dr e f feb
    fla fri ft g ga gen h ill inc jan jr k kan ky l lt ltd m maj messrs mg mich minn mr
    mrs ms n nev nov oct ok okla ore p pa prof r rep reps s sen sep sept sr st sw t tenn
    tues v va vs vt w wash wed wis yr
""".split())

# Words the model saw starting sentences: after an abbreviation or an ellipsis, a
# capitalised one of these opens a new sentence.
_SENTENCE_STARTERS = frozenset("""
    according although among both but despite even he however i if in indeed instead it
    many meanwhile moreover most nevertheless nonetheless nor sales separately similarly
    since so some the there these they this though thus under when while yet
""".split())

# The model's orthographic facts for the words whose verdict decides a sentence break
# after an abbreviation, an initial or an ellipsis in the course text (the full model
# knows about 20,000 words; see docs/cbow.md).  A word the model has seen in lower case
# is a common word, so capitalised after "I." it begins a new sentence; a word it never
# saw in lower case (a name, "Thy", "I") leaves "I." inside the sentence.  Words that
# are also seen capitalised mid-sentence ("To", "That") do not open a sentence after an
# abbreviation.  Words missing from both sets count as unseen, as in Punkt.
_SEEN_LOWER_CASE = frozenset("""
    first scene than that to tired your
""".split())
_SEEN_CAPITALISED_MID_SENTENCE = frozenset("""
    that to
""".split())

# Punkt's own word split, used only to find the tokens on either side of a period.
_PUNKT_NON_WORD = r"""[?!)";}\]*:@'({\[]"""
_PUNKT_TOKEN = re.compile(
    r"-{2,}|\.{2,}"                                  # dashes and ellipses are tokens
    r"|[^(\"`{\[:;&#*@)}\]\-,\s]\S*?"                 # a word runs until ...
    rf"(?=\s|$|{_PUNKT_NON_WORD}|-{{2,}}|\.{{2,}}|,(?=$|\s|{_PUNKT_NON_WORD}))"
    r"|\S")                                          # any other character stands alone
_CANDIDATE_END = re.compile(
    rf"\S*[.?!](?=(?P<after>{_PUNKT_NON_WORD}|\s+(?P<next>\S+)))")
# Closing punctuation at the start of a sentence belongs to the one before.
_CLOSING_PUNCTUATION = re.compile(r"""["')\]}]+?(?:\s+|(?=--)|$)""")
_NUMBER = re.compile(r"^-?[.,]?\d[\d,.-]*\.?$")


def _word_type(token: str) -> str:
    """The lower-cased word of a token, without a closing period."""
    return (token[:-1] if token.endswith(".") else token).lower()


def _opens_sentence(token: str) -> bool | None:
    """Punkt's orthographic verdict on `token` following a period: True, False or None."""
    if token in (";", ":", ",", ".", "!", "?"):
        return False
    word = _word_type(token)
    if token[0].isupper() and word in _SEEN_LOWER_CASE \
            and word not in _SEEN_CAPITALISED_MID_SENTENCE:
        return True
    if token[0].islower():
        # Lower-case common words are seen capitalised somewhere in the model's corpus,
        # which rules them out as sentence starters.
        return False
    return None


def _ends_sentence(before: str, after: str) -> bool:
    """Does the period closing token `before` end a sentence, given the next token?"""
    if before in (".", "?", "!") or before.endswith(("?", "!")):
        return True
    if re.fullmatch(r"\.{2,}", before):                       # an ellipsis
        return _opens_after_abbreviation(after)
    if not before.endswith(".") or before.endswith(".."):
        return True
    word = before[:-1].lower()
    if word in _ABBREVIATIONS or word.split("-")[-1] in _ABBREVIATIONS:
        return len(word) > 1 and _opens_after_abbreviation(after)
    initial = re.fullmatch(r"[^\W\d]", word) is not None
    if initial or _NUMBER.match(before):
        # "I." or "O." may be a person's initial: Punkt keeps it inside the sentence
        # unless the next word looks like a sentence start.
        verdict = _opens_sentence(after)
        if verdict is False:
            return False
        if verdict is None and initial and after[0].isupper() \
                and _word_type(after) not in _SEEN_LOWER_CASE:
            return False
    return True


def _opens_after_abbreviation(after: str) -> bool:
    """After an abbreviation or ellipsis, only a clear sentence start opens a sentence."""
    if _opens_sentence(after):
        return True
    return after[0].isupper() and _word_type(after) in _SENTENCE_STARTERS


def split_sentences(text: str) -> list[str]:
    """Split `text` into sentences as NLTK 3.5's English Punkt model does (see module doc)."""
    spans: list[tuple[int, int]] = []
    start = 0
    for match in _CANDIDATE_END.finditer(text):
        before = _PUNKT_TOKEN.findall(match.group())[-1]
        if match.group("next") is not None:
            first = _PUNKT_TOKEN.match(match.group("next"))
            assert first is not None  # its last alternative, \S, matches any character there
            after = first.group()
        else:
            after = match.group("after")
        if _ends_sentence(before, after):
            spans.append((start, match.end()))
            start = match.start("next") if match.group("next") is not None else match.end()
    spans.append((start, len(text.rstrip())))
    # Closing quotes or brackets that open the next span move to the end of this one.
    sentences: list[str] = []
    moved = 0
    followers: list[tuple[int, int] | None] = [*spans[1:], None]
    for (start, end), following in zip(spans, followers):
        start, moved = start + moved, 0
        if following is not None:
            closing = _CLOSING_PUNCTUATION.match(text, *following)
            if closing:
                end = following[0] + len(closing.group().rstrip())
                moved = closing.end() - following[0]
        if text[start:end]:
            sentences.append(text[start:end])
    return sentences


# --- Treebank: words of one sentence -------------------------------------------------
#
# Each step pads some punctuation with spaces; splitting on whitespace then gives the
# tokens.  Only steps that can separate letters from punctuation are kept.
_TREEBANK_STEPS = [(re.compile(pattern), replacement) for pattern, replacement in [
    (r'"', ' " '),                                   # double quotes always stand alone
    (r"([«“‘„»”’]|`+)", r" \1 "),
    (r"([ (\[{<])''", r"\1 `` "),                    # opening '' ...
    (r"(?i)'(?!re|ve|ll|m|t|s|d)(\w)\b", r"' \1"),   # 'a -> ' a
    (r"([^.])\.([\])}>\"'»”’ ]*)\s*$", r"\1 . \2 "),   # only the final period splits
    (r"([:,])([^\d])", r" \1 \2"),                   # , and : unless inside a number
    (r"([:,])$", r" \1 "),
    (r"\.{2,}", r" \g<0> "),
    (r"[;@#$%&?!*]", r" \g<0> "),
    (r"([^'])' ", r"\1 ' "),                         # a quote before a space
    (r"[\]\[(){}<>]", r" \g<0> "),
    (r"--", r" -- "),
]]
_TREEBANK_ENDINGS = [(re.compile(pattern), replacement) for pattern, replacement in [
    (r"(\S)('')", r"\1 \2 "),                        # ... and closing ''
    (r"([^' ])('[sSmMdD]|') ", r"\1 \2 "),            # Leash'd -> Leash 'd
    (r"([^' ])('ll|'LL|'re|'RE|'ve|'VE|n't|N'T) ", r"\1 \2 "),
    (r"(?i)\b(can)(not)\b", r" \1 \2 "),
    (r"(?i)\b(d)('ye)\b", r" \1 \2 "),
    (r"(?i)\b(gim|lem)(me)\b", r" \1 \2 "),
    (r"(?i)\b(gon|wan)(na)\b", r" \1 \2 "),
    (r"(?i)\b(got)(ta)\b", r" \1 \2 "),
    (r"(?i)\b(mor)('n)\b", r" \1 \2 "),
    (r"(?i) ('t)(is|was)\b", r" \1 \2 "),             # 'tis -> 't is
]]


def word_tokenize(sentence: str) -> list[str]:
    """Split one sentence into tokens as NLTK 3.5's Treebank tokenizer does for words."""
    for pattern, replacement in _TREEBANK_STEPS:
        sentence = pattern.sub(replacement, sentence)
    sentence = " " + sentence + " "
    for pattern, replacement in _TREEBANK_ENDINGS:
        sentence = pattern.sub(replacement, sentence)
    return sentence.split()


def tokenize(text: str) -> list[str]:
    """The course's tokenizer: a list of lower-cased words and ``"."`` tokens.

    Same result as the course's ``re.sub(r'[,!?;-]', '.', text)``, ``nltk.word_tokenize``
    (NLTK 3.5) and ``[t.lower() for t in tokens if t.isalpha() or t == '.']``.
    """
    if not isinstance(text, str):
        raise TypeError(f"tokenize: text must be a str, got {type(text).__name__}")
    text = re.sub(r"[,!?;-]", ".", text)
    return [token.lower() for sentence in split_sentences(text)
            for token in word_tokenize(sentence) if token.isalpha() or token == "."]


#: a word for the trainer of large corpora: a run of letters (no digits, no underscore)
WORD = r"[^\W\d_]+"
_WORDS = re.compile(WORD)


def simple_tokenize(line: str) -> list[str]:
    """Lower-cased runs of letters: the trainer's tokenizer for large corpora."""
    return _WORDS.findall(line.lower())
