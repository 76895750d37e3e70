"""Text mode data: read a corpus, tokenize it, build a vocabulary and next-token windows.

Imports numpy and the standard library only (never torch or textual); ``kiwipiepy`` (the
``morph`` tokenizer, optional extra ``seqlab[ko]``) is imported when that tokenizer is made.
"""

from seqlab.text.io import LoadedText, check_text, load_text, normalize_text, read_text
from seqlab.text.lm_data import (
    LMData,
    LMSplit,
    continuation_text,
    ids_to_text,
    make_lm_dataset,
    min_tokens_needed,
    tokenize_lines,
    unigram_perplexity,
)
from seqlab.text.tokenizers import (
    MORPH_MISSING,
    TOKENIZERS,
    CharTokenizer,
    JamoTokenizer,
    MorphTokenizer,
    Tokenizer,
    WordTokenizer,
    display_token,
    get_tokenizer,
    join_morphemes,
    split_morpheme,
    starts_word,
)
from seqlab.text.vocab import (
    BOS,
    BOS_ID,
    EOS,
    EOS_ID,
    PAD,
    PAD_ID,
    SPECIALS,
    UNK,
    UNK_ID,
    Vocab,
)

__all__ = [
    "BOS",
    "BOS_ID",
    "EOS",
    "EOS_ID",
    "MORPH_MISSING",
    "join_morphemes",
    "split_morpheme",
    "starts_word",
    "PAD",
    "PAD_ID",
    "SPECIALS",
    "TOKENIZERS",
    "UNK",
    "UNK_ID",
    "CharTokenizer",
    "JamoTokenizer",
    "LMData",
    "LMSplit",
    "LoadedText",
    "MorphTokenizer",
    "Tokenizer",
    "Vocab",
    "WordTokenizer",
    "check_text",
    "continuation_text",
    "display_token",
    "get_tokenizer",
    "ids_to_text",
    "load_text",
    "make_lm_dataset",
    "min_tokens_needed",
    "normalize_text",
    "read_text",
    "tokenize_lines",
    "unigram_perplexity",
]
