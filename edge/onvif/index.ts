export { discoverCameras, type DiscoveredCamera, type DiscoverOptions } from './onvif-discovery.ts';
export { connectOnvif, type OnvifConnection, type OnvifConnectOptions, type OnvifProfile, type DeviceInformation } from './onvif-connection.ts';
export { createOnvifSource, withCredentials } from './onvif-source.ts';
export { createOnvifEventWatcher, type OnvifEventWatcher, type OnvifWatcherStatus } from './onvif-event-watcher.ts';
export { createOnvifAlarmMapper, classifyTopic } from './onvif-event-alarms.ts';
export { OnvifError, toOnvifError } from './onvif-error.ts';
export { onvifConnectOptions } from './onvif-config.ts';
