import { pgEnum } from 'drizzle-orm/pg-core'
import {
  API_KEY_SCOPES, CLUSTER_STATUSES, DIAGNOSIS_ENGINES, FAILURE_CATEGORIES, FLAKY_LABELS, REPORT_FORMATS,
  RUN_STATUSES, TEST_STATUSES, USER_ROLES, WEBHOOK_DELIVERY_STATUSES, WEBHOOK_FORMATS,
} from '#shared/constants'

export const testStatusEnum = pgEnum('test_status', TEST_STATUSES)
export const runStatusEnum = pgEnum('run_status', RUN_STATUSES)
export const reportFormatEnum = pgEnum('report_format', REPORT_FORMATS)
export const userRoleEnum = pgEnum('user_role', USER_ROLES)
export const apiKeyScopeEnum = pgEnum('api_key_scope', API_KEY_SCOPES)
export const clusterStatusEnum = pgEnum('cluster_status', CLUSTER_STATUSES)
export const failureCategoryEnum = pgEnum('failure_category', FAILURE_CATEGORIES)
export const flakyLabelEnum = pgEnum('flaky_label', FLAKY_LABELS)
export const diagnosisEngineEnum = pgEnum('diagnosis_engine', DIAGNOSIS_ENGINES)
export const webhookFormatEnum = pgEnum('webhook_format', WEBHOOK_FORMATS)
export const webhookDeliveryStatusEnum = pgEnum('webhook_delivery_status', WEBHOOK_DELIVERY_STATUSES)
