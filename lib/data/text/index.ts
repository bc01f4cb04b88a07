// Text data: corpora, BERT's WordPiece tokenizer, NSP/SOP sentence pairs and MLM masking.
export * from './basic-tokenizer';
export * from './wordpiece-trainer';
export * from './wordpiece';
export * from './corpus';
export * from './sentence-pairs';
export * from './mlm-masking';
export * from './pretraining-batches';
export * from './ngram-masking';
