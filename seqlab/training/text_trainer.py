"""Text mode: train a next-token RNN language model, and look inside a trained one.

The trainer shares the time-series loop (:class:`BaseTrainer`); the tools below (load, generate,
probe a sentence, embedding neighbours) serve ``seqlab generate``/``seqlab probe`` and the TUI's
worker process.
"""

from __future__ import annotations

import dataclasses
import math
import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from seqlab.config import TextRunConfig, file_sha256
from seqlab.errors import SeqlabError
from seqlab.models import LanguageModel, probe
from seqlab.text import LMData, Tokenizer, Vocab, get_tokenizer, make_lm_dataset
from seqlab.text.io import check_text, read_text
from seqlab.text.lm_data import ids_to_text
from seqlab.training.events import ProbeSnapshot
from seqlab.training.metrics import perplexity
from seqlab.training.trainer import BaseTrainer, Callback, load_payload, snapshot

TOP_K = 5


def text_of_config(cfg: TextRunConfig) -> str:
    """The corpus: the file's text, or the typed text."""
    if cfg.text.path:
        return read_text(cfg.text.path)
    return check_text(cfg.text.text or "")


def lm_dataset(cfg: TextRunConfig, text: str | None = None, vocab: Vocab | None = None) -> LMData:
    """The windows of the configured text; a window fitted to a short text is written back into
    ``cfg`` (so the run's config.toml holds the window it trained with)."""
    t = cfg.text
    data = make_lm_dataset(
        text if text is not None else text_of_config(cfg),
        tokenizer=t.tokenizer,
        vocab=vocab,
        window=t.window,
        split=t.split,
        min_freq=t.min_freq,
        max_size=t.max_size or None,
        stride=t.effective_stride,
        fit_window=t.fit_window,
    )
    if data.window != t.window:
        t.window = data.window
    return data


class TextTrainer(BaseTrainer):
    """One language-model run: cross entropy on the next token at every position."""

    kind = "text"

    def __init__(
        self,
        cfg: TextRunConfig,
        data: LMData | None = None,
        callback: Callback | None = None,
        cancel: threading.Event | None = None,
        run_dir: str | os.PathLike[str] | None = None,
        write_files: bool = True,
    ) -> None:
        super().__init__(cfg, callback, cancel, run_dir, write_files)
        self.data = data

    def _data_name(self) -> str:
        return self.cfg.text.path or f"typed-{self.cfg.text.tokenizer}"

    def _setup(self) -> int:
        cfg = self.cfg
        if self.data is None:
            self.data = lm_dataset(cfg)
        if cfg.text.path and cfg.text.sha256 is None and Path(cfg.text.path).is_file():
            cfg.text.sha256 = file_sha256(cfg.text.path)
        data = self.data
        if len(data.val) == 0 or len(data.train) == 0:
            raise SeqlabError("the text is too small for a validation split: add text or lower "
                              "the window.")
        from seqlab.models.info import estimate_lm_params
        from seqlab.training.resources import check_memory, memory_estimate

        check_memory(memory_estimate(
            cfg.model, estimate_lm_params(cfg.model, data.vocab_size, cfg.text.embedding),
            cfg.text.embedding, cfg.train.batch_size, cfg.text.window, outputs=data.vocab_size),
            str(self.device))
        self.model = LanguageModel(data.vocab_size, cfg.text.embedding, cfg.model).to(self.device)
        self.loss_fn = nn.CrossEntropyLoss(ignore_index=data.vocab.pad_id)
        # (N, W) int64 windows; small enough to copy once (the views are read-only)
        self._xy = {
            s.name: (torch.from_numpy(np.array(s.x)).to(self.device),
                     torch.from_numpy(np.array(s.y)).to(self.device))
            for s in (data.train, data.val)
        }
        return len(data.train)

    def _batch(self, idx: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        x, y = self._xy["train"]
        idx = idx.to(self.device, non_blocking=True)
        return x[idx], y[idx]

    def _loss(self, out: torch.Tensor, yb: torch.Tensor) -> torch.Tensor:
        # (B, T, V) logits, (B, T) ids -> mean next-token cross entropy
        return self.loss_fn(out.reshape(-1, out.shape[-1]), yb.reshape(-1))

    def _started(self) -> dict[str, Any]:
        assert self.data is not None
        ppl = self.data.unigram_perplexity
        return {"shapes": self.data.shapes(), "baseline_val": {"perplexity": ppl}}

    def _val_loss(self) -> float:
        assert self.model is not None
        x, y = self._xy["val"]
        total, count = 0.0, 0
        self.model.eval()
        with torch.no_grad():
            for s in range(0, x.shape[0], 256):
                xb, yb = x[s : s + 256], y[s : s + 256]
                n = int((yb != self.loss_fn.ignore_index).sum())
                total += float(self._loss(self.model(xb), yb)) * n
                count += n
        self.model.train()
        return total / max(count, 1)

    def _validate(self, epoch: int) -> tuple[float, dict[str, float]]:
        loss = self._val_loss()
        assert self.data is not None
        return loss, {
            "perplexity": perplexity(loss),
            "unigram_perplexity": self.data.unigram_perplexity,
        }

    def _probe(self, epoch: int) -> ProbeSnapshot | None:
        data = self.data
        assert data is not None and self.model is not None
        if len(data.val) == 0:
            return None
        k = int(min(max(self.watch_sample, 0), len(data.val) - 1))
        x, y = self._xy["val"]
        return probe_ids(self.model, data.vocab, x[k : k + 1], y[k : k + 1],
                         data.input_tokens(data.val, k), epoch=epoch, sample=k, device=self.device)

    def _summary(self, status: str, epochs: int) -> dict[str, Any]:
        data = self.data
        assert data is not None
        out: dict[str, Any] = {
            "shapes": data.shapes(),
            "tokenizer": data.tokenizer.name,
            "vocab_size": data.vocab_size,
            "unigram_perplexity": data.unigram_perplexity,
            "val_unknown": data.val_unknown,
        }
        if status != "failed" and epochs > 0:
            out["val_perplexity"] = perplexity(self._val_loss())
        if self.run_dir is not None:
            from seqlab.training import fileio

            fileio.atomic_write_text(self.run_dir / "vocab.json", data.vocab.to_json())
        return out

    def _checkpoint_extra(self) -> dict[str, Any]:
        data = self.data
        assert data is not None
        return {"vocab": data.vocab.to_dict(), "tokenizer": data.tokenizer.name}


# ----------------------------------------------------------------------------- tools
@dataclass
class LoadedLM:
    model: LanguageModel
    vocab: Vocab
    tokenizer: Tokenizer
    cfg: TextRunConfig
    run_dir: Path


def load_lm(run_dir: str | os.PathLike[str]) -> LoadedLM:
    """Rebuild a trained language model from its run directory (weights-only load)."""
    d = Path(run_dir)
    ckpt = d / "model.pt" if d.is_dir() else d
    if not ckpt.is_file():
        raise SeqlabError(f"no model.pt in {d}: give the directory of a finished text run "
                          "(see seqlab runs).")
    payload = load_payload(ckpt)
    if payload.get("kind") != "text":
        raise SeqlabError(f"{d} is a time-series run, not a text run: use seqlab text-train first.")
    cfg = TextRunConfig.from_dict(payload["config"])
    vocab = Vocab.from_dict(payload["vocab"])
    model = LanguageModel(len(vocab), cfg.text.embedding, cfg.model)
    model.load_state_dict(payload["state_dict"])
    model.eval()
    return LoadedLM(model, vocab, get_tokenizer(payload["tokenizer"]), cfg, ckpt.parent)


def encode_text(lm: LoadedLM, text: str) -> tuple[list[str], list[int]]:
    tokens = lm.tokenizer.encode(check_text(text))
    if not tokens:
        raise SeqlabError("the text gives no tokens: type some words.")
    ids = lm.vocab.encode(tokens)
    if all(i == lm.vocab.unk_id for i in ids):
        raise SeqlabError(
            f"none of the {len(tokens)} tokens are in the model's vocabulary of {len(lm.vocab)}: "
            "type text in the language the model was trained on."
        )
    return tokens, ids


def probe_ids(
    model: LanguageModel,
    vocab: Vocab,
    x: torch.Tensor,
    y: torch.Tensor,
    tokens: list[str],
    epoch: int = 0,
    sample: int = 0,
    device: torch.device | None = None,
) -> ProbeSnapshot:
    """Hidden states, gates, gradients and top-5 next tokens for one id sequence (1, T)."""
    device = device or torch.device("cpu")
    x, y = x.to(device), y.to(device)
    result = probe(model, x, y)
    was = model.training
    model.eval()
    with torch.no_grad():
        probs = torch.softmax(model(x)[0].float(), dim=-1)  # (T, V)
        top = torch.topk(probs, k=min(TOP_K, probs.shape[-1]), dim=-1)
    model.train(was)
    topk = [
        [[vocab.itos[int(i)], round(float(p), 4)] for p, i in zip(ps, ids, strict=True)]
        for ps, ids in zip(top.values.cpu(), top.indices.cpu(), strict=True)
    ]
    return snapshot(epoch, "text", sample, list(tokens), result, topk=topk)


def probe_text(lm: LoadedLM, text: str) -> ProbeSnapshot:
    """The course picture for a typed sentence: every token's hidden state, gates, gradient."""
    tokens, ids = encode_text(lm, text)
    eos = lm.vocab.eos_id
    # The training stream has <eos> before every sentence, so the model reads one first: the
    # hidden state at "나는" is then the state after a sentence start, as in training.
    # Targets: the next token (the last position predicts <eos>).
    x = torch.tensor([[eos, *ids]], dtype=torch.long)
    y = torch.tensor([[*ids, eos]], dtype=torch.long)
    snap = probe_ids(lm.model, lm.vocab, x, y, ["<eos>", *tokens])
    return drop_first_position(snap)


def drop_first_position(snap: ProbeSnapshot) -> ProbeSnapshot:
    """The snapshot without its first timestep (the sentence-start token fed as context)."""
    return dataclasses.replace(
        snap,
        labels=snap.labels[1:],
        states={k: v[1:] for k, v in snap.states.items()},
        grads={k: v[1:] for k, v in snap.grads.items()},
        topk=snap.topk[1:],
    )


def generate(
    lm: LoadedLM,
    prompt: str,
    tokens: int = 50,
    temperature: float = 0.8,
    top_k: int = 0,
    seed: int = 0,
) -> Iterator[str]:
    """Yield generated tokens one by one (streaming), continuing ``prompt``."""
    if not temperature > 0:
        raise SeqlabError(f"temperature must be above 0 (got {temperature}).")
    if tokens < 1:
        raise SeqlabError(f"tokens must be at least 1 (got {tokens}).")
    _, ids = encode_text(lm, prompt)
    gen = torch.Generator().manual_seed(seed)
    model = lm.model.eval()
    with torch.no_grad():
        # a sentence start first, as every sentence in the training stream has one before it
        seq, state = model.rnn(model.embed(torch.tensor([[lm.vocab.eos_id, *ids]])))
        logits = model.readout(seq[:, -1])[0]
        for _ in range(tokens):
            logits = logits.float() / temperature
            logits[lm.vocab.pad_id] = -math.inf
            logits[lm.vocab.bos_id] = -math.inf
            if top_k and top_k < logits.shape[0]:
                kth = torch.topk(logits, top_k).values[-1]
                logits = torch.where(logits < kth, torch.full_like(logits, -math.inf), logits)
            nxt = int(torch.multinomial(torch.softmax(logits, -1), 1, generator=gen))
            yield lm.vocab.itos[nxt]
            seq, state = model.rnn(model.embed(torch.tensor([[nxt]])), state)
            logits = model.readout(seq[:, -1])[0]


def generated_text(lm: LoadedLM, tokens: list[str]) -> str:
    return ids_to_text(lm.vocab.encode(tokens), lm.vocab, lm.tokenizer)


def neighbours(lm: LoadedLM, token: str, k: int = 8) -> list[tuple[str, float]]:
    """The ``k`` tokens whose embeddings are nearest to ``token``'s by cosine similarity."""
    if token not in lm.vocab:
        raise SeqlabError(f"{token!r} is not in the vocabulary of {len(lm.vocab)} tokens.")
    emb = lm.model.embedding.weight.detach().float()
    unit = emb / emb.norm(dim=1, keepdim=True).clamp_min(1e-12)
    sims = unit @ unit[lm.vocab.stoi[token]]
    sims[: len(("<pad>", "<unk>", "<bos>", "<eos>"))] = -math.inf
    sims[lm.vocab.stoi[token]] = -math.inf
    top = torch.topk(sims, min(k, int(torch.isfinite(sims).sum())))
    return [(lm.vocab.itos[int(i)], float(s)) for s, i in zip(top.values, top.indices, strict=True)]
