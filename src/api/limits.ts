/** JSON bodies stay small: the largest is a bulk device import (5,000 devices). */
export const BODY_LIMIT_BYTES = 1024 * 1024;
