import { Controller, Get, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { AuthUser } from '../shared/auth/auth-user';
import { CurrentUser, Roles } from '../shared/auth/decorators';
import { Role } from '../shared/auth/role';
import { EventPage, ListEventsQuery } from './events.dto';
import { EventsService } from './events.service';

/** SPEC §11 "Change feed": ADMIN and VIEWER of the organization (and SUPER_ADMIN); PRACTITIONER 403. */
@ApiTags('events')
@ApiBearerAuth()
@Controller('events')
export class EventsController {
  constructor(private readonly events: EventsService) {}

  @Get()
  @Roles(Role.SUPER_ADMIN, Role.ADMIN, Role.VIEWER)
  @ApiOkResponse({ type: EventPage, description: 'Every event exactly once, oldest first; follow nextCursor' })
  feed(@CurrentUser() caller: AuthUser, @Query() query: ListEventsQuery): Promise<EventPage> {
    return this.events.feed(caller, query);
  }
}
