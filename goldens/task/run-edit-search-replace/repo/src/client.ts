import { request } from "./http.js";

/** Seconds before a backend call is given up; keep in step with config/service.yaml. */
export const DEFAULT_TIMEOUT_SECONDS = 10;

export async function fetchOrder(id: string): Promise<unknown> {
  return request(`/orders/${encodeURIComponent(id)}`, { timeout: DEFAULT_TIMEOUT_SECONDS });
}

export async function listOrders(page: number): Promise<unknown[]> {
  const body = await request(`/orders?page=${page}`, { timeout: DEFAULT_TIMEOUT_SECONDS });
  return Array.isArray(body) ? body : [];
}

export async function cancelOrder(id: string): Promise<void> {
  await request(`/orders/${encodeURIComponent(id)}/cancel`, {
    method: "POST",
    timeout: DEFAULT_TIMEOUT_SECONDS,
  });
}
