// Evaluation of frozen encoders: weighted k-NN, linear probe, fine-tuning,
// the raw-pixel and random-encoder floors, and the report that puts them side by side.
export {
  extractFeatures, ExtractFeaturesOptions, FeatureSet, inEvalMode, moduleDevice, checkEncoderDevice,
} from './features';
export { knn, KnnOptions, KnnResult, LabelledFeatures } from './knn';
export {
  linearProbe, LinearProbeOptions, LinearProbeResult, fitLinearClassifier, FitLinearOptions,
} from './linear-probe';
export { rawPixelFeatures, RawPixelOptions, seededEncoder } from './floors';
export { evaluateEncoder, formatReport, EvaluateOptions, EvalReport, EvalRow, EvalRowName } from './report';
export { fineTune, FineTuneOptions, FineTuneResult } from './fine-tune';
export { zeroShotWeights, zeroShotAccuracy, ImageTextModel } from './zero-shot';
export { retrievalRecall, pairRetrieval, RetrievalRecall } from './retrieval';
export { textFeatures, textProbe, TextFeatureEncoder, TextFeaturesOptions, TextProbeOptions, TextProbeResult, labelledDocuments } from './text-probe';
export { bagOfWordsFeatures, bagOfWordsProbe } from './bag-of-words';
