/**
 * What a job can be made of: the checkpoints under the model root ({@code /api/v1/models}, with
 * uploads imported and validated before they appear) and the task folders under the data root
 * ({@code /api/v1/datasets}).
 */
package dev.glora.api.catalog;
