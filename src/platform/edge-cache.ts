// The colo's HTTP cache (the Workers Cache API, caches.default) as far as this service uses it.
export interface EdgeCache {
  match(key: Request): Promise<Response | undefined>;
  put(key: Request, res: Response): Promise<void>;
}
