import { z } from "zod";

/**
 * RFC 9457 problem details: every error of the API has this shape, with a stable
 * `type` (`/problems/<code>`) clients can switch on, and `errors[]` naming the fields
 * of a request that failed validation.
 */
export const problemSchema = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string().optional(),
    code: z.string(),
    errors: z
      .array(
        z.object({
          field: z.string(),
          message: z.string().describe("in English"),
          rule: z
            .string()
            .optional()
            .describe(
              "what the value broke (too_small, too_big, invalid_type, invalid_value…), for a client to word it",
            ),
          limits: z
            .record(z.string(), z.union([z.string(), z.number()]))
            .optional()
            .describe(
              "the rule's figures: minimum, maximum, expected type, allowed values, origin (string, number, array)",
            ),
        }),
      )
      .optional(),
    requestId: z.string().optional(),
  })
  .meta({ id: "Problem" });

export type Problem = z.infer<typeof problemSchema>;
export type FieldError = {
  field: string;
  message: string;
  rule?: string;
  limits?: Record<string, string | number>;
};

/** An error a route raises on purpose, with its status and stable code. */
export class ApiError extends Error {
  override readonly name = "ApiError";
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly errors?: FieldError[],
  ) {
    super(message);
  }
}

export function problem(
  status: number,
  code: string,
  title: string,
  detail?: string,
  errors?: FieldError[],
): Problem {
  return {
    type: `/problems/${code.replace(/_/g, "-")}`,
    title,
    status,
    code,
    ...(detail ? { detail } : {}),
    ...(errors?.length ? { errors } : {}),
  };
}

/** The error responses every route may give, for the OpenAPI document. */
export const problemResponses = {
  400: problemSchema,
  401: problemSchema,
  403: problemSchema,
  404: problemSchema,
  409: problemSchema,
  415: problemSchema,
  422: problemSchema,
  503: problemSchema,
} as const;
