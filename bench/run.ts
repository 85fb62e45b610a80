/** `npm run bench`: every benchmark, in one process, printing ratios measured in the same run. */
import { benchHttp } from './http.js'
import { benchSoftmax } from './softmax.js'

benchSoftmax()
await benchHttp()
