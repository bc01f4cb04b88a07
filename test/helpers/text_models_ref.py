# Python side of test/parity/text-models.test.ts: BERT and ALBERT for
# pre-training, written with plain torch after the papers (Devlin et al. 2019,
# Lan et al. 2020) and Hugging Face's modeling_bert.py / modeling_albert.py
# module structure (the transformers package is not installed), so the state
# dict keys are HF's. Runs one forward and backward of the pre-training loss
# (MLM over the chosen positions + NSP/SOP) on seeded inputs with padding, and
# writes <dir>/<name>.weights.safetensors and <dir>/<name>.io.safetensors.
# Usage: /usr/bin/python3 text_models_ref.py spec.json   (spec: {"dir", "cases": [...]})
import json
import math
import os
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from models_ref import save_safetensors  # noqa: E402


def act(x, name):
    return F.gelu(x, approximate='tanh' if name == 'gelu_new' else 'none')


def attend(h, q, k, v, heads, mask):
    B, T, H = h.shape
    split = lambda x: x.view(B, T, heads, H // heads).transpose(1, 2)
    scores = split(q(h)) @ split(k(h)).transpose(-1, -2) / math.sqrt(H // heads)
    # HF's extended attention mask: (1 - mask) * finfo.min, added to the scores.
    scores = scores + (1.0 - mask[:, None, None, :].to(scores.dtype)) * torch.finfo(scores.dtype).min
    return (scores.softmax(-1) @ split(v(h))).transpose(1, 2).reshape(B, T, H)


class Embeddings(nn.Module):
    def __init__(self, c, dim):
        super().__init__()
        self.word_embeddings = nn.Embedding(c['vocabSize'], dim, padding_idx=0)
        self.position_embeddings = nn.Embedding(c['maxPositionEmbeddings'], dim)
        self.token_type_embeddings = nn.Embedding(c['typeVocabSize'], dim)
        self.LayerNorm = nn.LayerNorm(dim, eps=c['layerNormEps'])

    def forward(self, ids, types):
        pos = torch.arange(ids.shape[1])[None]
        return self.LayerNorm(self.word_embeddings(ids) + self.token_type_embeddings(types) + self.position_embeddings(pos))


class SelfAttention(nn.Module):
    def __init__(self, H):
        super().__init__()
        self.query, self.key, self.value = nn.Linear(H, H), nn.Linear(H, H), nn.Linear(H, H)


class DenseNorm(nn.Module):
    def __init__(self, i, o, eps):
        super().__init__()
        self.dense = nn.Linear(i, o)
        self.LayerNorm = nn.LayerNorm(o, eps=eps)

    def forward(self, x, residual):
        return self.LayerNorm(self.dense(x) + residual)


class BertAttention(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.self = SelfAttention(c['hiddenSize'])
        self.output = DenseNorm(c['hiddenSize'], c['hiddenSize'], c['layerNormEps'])


class Intermediate(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.dense = nn.Linear(c['hiddenSize'], c['intermediateSize'])


class BertLayer(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.c = c
        self.attention = BertAttention(c)
        self.intermediate = Intermediate(c)
        self.output = DenseNorm(c['intermediateSize'], c['hiddenSize'], c['layerNormEps'])

    def forward(self, h, mask):
        s = self.attention.self
        a = self.attention.output(attend(h, s.query, s.key, s.value, self.c['numAttentionHeads'], mask), h)
        return self.output(act(self.intermediate.dense(a), self.c['hiddenAct']), a)


class Encoder(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.layer = nn.ModuleList([BertLayer(c) for _ in range(c['numHiddenLayers'])])


class Pooler(nn.Module):
    def __init__(self, H):
        super().__init__()
        self.dense = nn.Linear(H, H)


class BertModel(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.embeddings = Embeddings(c, c['hiddenSize'])
        self.encoder = Encoder(c)
        self.pooler = Pooler(c['hiddenSize'])

    def forward(self, ids, types, mask):
        h = self.embeddings(ids, types)
        for layer in self.encoder.layer:
            h = layer(h, mask)
        return h, torch.tanh(self.pooler.dense(h[:, 0]))


class Transform(nn.Module):
    def __init__(self, c, E):
        super().__init__()
        self.dense = nn.Linear(c['hiddenSize'], E)
        self.LayerNorm = nn.LayerNorm(E, eps=c['layerNormEps'])


class LMHead(nn.Module):
    """HF's BertLMPredictionHead (transform.*) or AlbertMLMHead (dense, LayerNorm at the top level)."""

    def __init__(self, c, word_embeddings, nested):
        super().__init__()
        E = word_embeddings.weight.shape[1]
        self.c, self.nested = c, nested
        if nested:
            self.transform = Transform(c, E)
        else:
            self.dense = nn.Linear(c['hiddenSize'], E)
            self.LayerNorm = nn.LayerNorm(E, eps=c['layerNormEps'])
        self.bias = nn.Parameter(torch.zeros(c['vocabSize']))
        self.decoder = nn.Linear(E, c['vocabSize'])
        self.decoder.weight = word_embeddings.weight  # tied, as HF's tie_weights()
        self.decoder.bias = self.bias

    def forward(self, h):
        t = self.transform if self.nested else self
        return self.decoder(t.LayerNorm(act(t.dense(h), self.c['hiddenAct'])))


class BertForPreTraining(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.bert = BertModel(c)
        self.cls = nn.Module()
        self.cls.predictions = LMHead(c, self.bert.embeddings.word_embeddings, True)
        self.cls.seq_relationship = nn.Linear(c['hiddenSize'], 2)

    def forward(self, ids, types, mask):
        h, pooled = self.bert(ids, types, mask)
        return h, self.cls.predictions(h), self.cls.seq_relationship(pooled)


class AlbertAttention(nn.Module):
    def __init__(self, c):
        super().__init__()
        H = c['hiddenSize']
        self.c = c
        self.query, self.key, self.value, self.dense = nn.Linear(H, H), nn.Linear(H, H), nn.Linear(H, H), nn.Linear(H, H)
        self.LayerNorm = nn.LayerNorm(H, eps=c['layerNormEps'])

    def forward(self, h, mask):
        ctx = attend(h, self.query, self.key, self.value, self.c['numAttentionHeads'], mask)
        return self.LayerNorm(h + self.dense(ctx))


class AlbertLayer(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.c = c
        self.full_layer_layer_norm = nn.LayerNorm(c['hiddenSize'], eps=c['layerNormEps'])
        self.attention = AlbertAttention(c)
        self.ffn = nn.Linear(c['hiddenSize'], c['intermediateSize'])
        self.ffn_output = nn.Linear(c['intermediateSize'], c['hiddenSize'])

    def forward(self, h, mask):
        a = self.attention(h, mask)
        return self.full_layer_layer_norm(self.ffn_output(act(self.ffn(a), self.c['hiddenAct'])) + a)


class AlbertLayerGroup(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.albert_layers = nn.ModuleList([AlbertLayer(c) for _ in range(c['innerGroupNum'])])


class AlbertTransformer(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.c = c
        self.embedding_hidden_mapping_in = nn.Linear(c['embeddingSize'], c['hiddenSize'])
        self.albert_layer_groups = nn.ModuleList([AlbertLayerGroup(c) for _ in range(c['numHiddenGroups'])])

    def forward(self, h, mask):
        h = self.embedding_hidden_mapping_in(h)
        L, G = self.c['numHiddenLayers'], self.c['numHiddenGroups']
        for i in range(L):
            for layer in self.albert_layer_groups[int(i / (L / G))].albert_layers:
                h = layer(h, mask)
        return h


class AlbertModel(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.embeddings = Embeddings(c, c['embeddingSize'])
        self.encoder = AlbertTransformer(c)
        self.pooler = nn.Linear(c['hiddenSize'], c['hiddenSize'])

    def forward(self, ids, types, mask):
        h = self.encoder(self.embeddings(ids, types), mask)
        return h, torch.tanh(self.pooler(h[:, 0]))


class AlbertForPreTraining(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.albert = AlbertModel(c)
        self.predictions = LMHead(c, self.albert.embeddings.word_embeddings, False)
        self.sop_classifier = nn.Module()
        self.sop_classifier.classifier = nn.Linear(c['hiddenSize'], 2)

    def forward(self, ids, types, mask):
        h, pooled = self.albert(ids, types, mask)
        return h, self.predictions(h), self.sop_classifier.classifier(pooled)


def run_case(case, out_dir):
    torch.manual_seed(case['seed'])
    c = case['config']
    model = (AlbertForPreTraining if case['kind'] == 'albert' else BertForPreTraining)(c)
    with torch.no_grad():  # non-trivial LayerNorm affine and biases, so their gradients are exercised
        for name, p in model.named_parameters():
            if p.dim() == 1:
                p.add_(torch.randn_like(p) * 0.1)
            else:
                p.normal_(0, 0.05)
        emb = model.albert.embeddings if case['kind'] == 'albert' else model.bert.embeddings
        emb.word_embeddings.weight[0].zero_()
    B, T, V = case['batch'], case['length'], c['vocabSize']
    lengths = [T - 2 * b for b in range(B)]
    ids = torch.randint(5, V, (B, T))
    mask = torch.zeros(B, T, dtype=torch.int64)
    types = torch.zeros(B, T, dtype=torch.int64)
    for b, n in enumerate(lengths):
        mask[b, :n] = 1
        types[b, n // 2:n] = 1
        ids[b, n:] = 0
        ids[b, 0] = 2
    labels = torch.full((B, T), -100, dtype=torch.int64)
    chosen = (torch.rand(B, T) < 0.3) & (mask == 1)
    chosen[:, 0] = False
    chosen[0, 1] = True
    labels[chosen] = torch.randint(5, V, (B, T))[chosen]
    pair_labels = torch.tensor([b % 2 for b in range(B)])
    state = {k: v.detach().clone() for k, v in model.state_dict().items()}
    h, logits, pair_logits = model(ids, types, mask)
    mlm = F.cross_entropy(logits.view(-1, V), labels.view(-1))
    pair = F.cross_entropy(pair_logits, pair_labels)
    loss = mlm + pair
    loss.backward()
    io = {'input_ids': ids, 'token_type_ids': types, 'attention_mask': mask, 'labels': labels,
          'pair_labels': pair_labels, 'last_hidden': h, 'prediction_logits': logits, 'pair_logits': pair_logits,
          'loss': loss.reshape(1), 'mlm_loss': mlm.reshape(1), 'pair_loss': pair.reshape(1)}
    for name, p in model.named_parameters():
        io['grad.' + name] = p.grad
    save_safetensors(os.path.join(out_dir, case['name'] + '.weights.safetensors'), state)
    save_safetensors(os.path.join(out_dir, case['name'] + '.io.safetensors'), io)


def main():
    torch.set_num_threads(1)
    with open(sys.argv[1]) as f:
        spec = json.load(f)
    for case in spec['cases']:
        run_case(case, spec['dir'])


if __name__ == '__main__':
    main()
