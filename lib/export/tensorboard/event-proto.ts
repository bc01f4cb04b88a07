// The protobuf messages of a TensorBoard event file: tensorflow/core/util/
// event.proto (Event) and tensorflow/core/framework/summary.proto (Summary,
// Summary.Value, Summary.Image, HistogramProto), only the fields written
// here, with their field numbers from those files. No npm package ships
// these schemas, so they are declared here for protobufjs.
import * as protobuf from 'protobufjs';

const root = protobuf.Root.fromJSON({
  nested: {
    tensorboard: {
      nested: {
        Event: {
          fields: {
            wallTime: { type: 'double', id: 1 },
            step: { type: 'int64', id: 2 },
            fileVersion: { type: 'string', id: 3 },
            summary: { type: 'Summary', id: 5 },
          },
        },
        Summary: {
          fields: { value: { rule: 'repeated', type: 'Value', id: 1 } },
          nested: {
            Image: {
              fields: {
                height: { type: 'int32', id: 1 },
                width: { type: 'int32', id: 2 },
                colorspace: { type: 'int32', id: 3 },
                encodedImageString: { type: 'bytes', id: 4 },
              },
            },
            Value: {
              fields: {
                tag: { type: 'string', id: 1 },
                simpleValue: { type: 'float', id: 2 },
                image: { type: 'Image', id: 4 },
                histo: { type: 'HistogramProto', id: 5 },
              },
            },
          },
        },
        HistogramProto: {
          fields: {
            min: { type: 'double', id: 1 },
            max: { type: 'double', id: 2 },
            num: { type: 'double', id: 3 },
            sum: { type: 'double', id: 4 },
            sumSquares: { type: 'double', id: 5 },
            bucketLimit: { rule: 'repeated', type: 'double', id: 6, options: { packed: true } },
            bucket: { rule: 'repeated', type: 'double', id: 7, options: { packed: true } },
          },
        },
      },
    },
  },
});

/** The Event message type. */
export const EventMessage = root.lookupType('tensorboard.Event');

/** A histogram as TensorBoard's HistogramProto holds it. */
export interface Histogram {
  min: number;
  max: number;
  num: number;
  sum: number;
  sumSquares: number;
  /** Right edges of the buckets. */
  bucketLimit: number[];
  /** Counts per bucket. */
  bucket: number[];
}

/** One summary value: a scalar, a PNG image or a histogram. */
export type SummaryValue =
  | { tag: string; simpleValue: number }
  | { tag: string; image: { height: number; width: number; colorspace: number; encodedImageString: Uint8Array } }
  | { tag: string; histo: Histogram };

/**
 * The bytes of one Event: the file-version header (`brain.Event:2`) or a summary at a step.
 * @example encodeEvent({ wallTime: 1.7e9, step: 10, summary: { value: [{ tag: 'loss', simpleValue: 4.2 }] } });
 */
export function encodeEvent(e: { wallTime: number; step?: number; fileVersion?: string; summary?: { value: SummaryValue[] } }): Uint8Array {
  return EventMessage.encode(EventMessage.fromObject(e)).finish();
}
